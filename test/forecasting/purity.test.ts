import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = resolve(import.meta.dirname, '../../forecasting');
// The CLI is the one file that reads files, prints and times; everything else is pure math.
const LIBRARY = readdirSync(DIR).filter((file) => file.endsWith('.ts') && file !== 'backtest-cli.ts');

const FORBIDDEN: { name: string; pattern: RegExp }[] = [
  { name: 'a node: module', pattern: /from ['"]node:/ },
  { name: 'anything from src/', pattern: /from ['"][./]*\/src\// },
  { name: 'the clock', pattern: /Date\.now\(|performance\.now\(|new Date\(\)/ },
  { name: 'randomness', pattern: /Math\.random\(/ },
  { name: 'the process', pattern: /\bprocess\./ },
  { name: 'the console', pattern: /\bconsole\./ },
];

describe('forecasting/ is pure', () => {
  it('has library files to check', () => {
    expect(LIBRARY.length).toBeGreaterThan(10);
  });
  for (const file of LIBRARY) {
    it(`${file} uses no I/O, clock, randomness or src/`, () => {
      const text = readFileSync(join(DIR, file), 'utf8');
      for (const rule of FORBIDDEN) expect(rule.pattern.test(text), `${file} uses ${rule.name}`).toBe(false);
    });
  }
});
