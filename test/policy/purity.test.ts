import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const POLICY_DIR = new URL('../../src/policy/', import.meta.url);

const forbidden: { name: string; pattern: RegExp }[] = [
  { name: 'a node:* import', pattern: /from\s+['"]node:/ },
  { name: 'the clock', pattern: /Date\.now\(|new Date\(|performance\.now\(/ },
  { name: 'randomness', pattern: /Math\.random\(|crypto\./ },
  { name: 'a logger', pattern: /from\s+['"]pino['"]|console\./ },
  { name: 'a module outside policy, config, errors and the signal contracts', pattern: /from\s+['"]\.\.\/(?!config\/target-metadata\.ts|errors\.ts|signals\/signal-snapshot\.ts|signals\/cpu-load-history\.ts|signals\/replica-count-history\.ts|signals\/ring-share-history\.ts)/ },
];

describe('src/policy stays pure', () => {
  const files = readdirSync(POLICY_DIR).filter((file) => file.endsWith('.ts'));

  it('has source files to check', () => {
    expect(files).toContain('decide.ts');
  });

  for (const file of files) {
    it(`${file} uses no I/O, clock, randomness or logger`, () => {
      const source = readFileSync(new URL(file, POLICY_DIR), 'utf8');
      const found = forbidden.filter(({ pattern }) => pattern.test(source)).map(({ name }) => name);
      expect(found).toEqual([]);
    });
  }
});
