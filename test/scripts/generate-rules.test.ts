import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prometheusRulesYaml } from '../../src/alerts/prometheus-rules-file.ts';
import { type CommandIo, RunFailure } from '../../src/cli/command-line.ts';
import { generateRules } from '../../scripts/generate-rules.ts';

const dir = mkdtempSync(join(tmpdir(), 'rules-generate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(): CommandIo & { written: string[] } {
  const written: string[] = [];
  return { written, out: (text) => written.push(text), err: (text) => written.push(text), isTerminal: false };
}

describe('npm run rules:generate', () => {
  it('writes the catalogue to --out, which --check then finds up to date', () => {
    const out = join(dir, 'rules.yaml');
    expect(generateRules({ out }, io())).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(prometheusRulesYaml());
    const checked = io();
    expect(generateRules({ out, check: true }, checked)).toBe(0);
    expect(checked.written.join('')).toContain('is up to date');
  });

  it('--check fails, writing nothing, on a file that differs from the catalogue or is missing', () => {
    const stale = join(dir, 'stale.yaml');
    writeFileSync(stale, `${prometheusRulesYaml()}# edited by hand\n`);
    expect(() => generateRules({ out: stale, check: true }, io())).toThrow(RunFailure);
    expect(() => generateRules({ out: stale, check: true }, io())).toThrow(/differs from the rule catalogue; run `npm run rules:generate`/);
    expect(readFileSync(stale, 'utf8')).toContain('# edited by hand');
    expect(() => generateRules({ out: join(dir, 'none.yaml'), check: true }, io())).toThrow(/is missing/);
  });
});
