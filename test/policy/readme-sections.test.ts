import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METADATA_DEFAULTS, METADATA_KEYS } from '../../src/config/target-metadata.ts';
import { GUARD_NAMES, PROPOSAL_NAMES } from '../../src/policy/decision.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function section(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

describe('README: per-target metadata table', () => {
  const text = section('Per-target metadata (ScaledObject trigger)');

  it('has a row for every metadata key, stating its built-in default', () => {
    const wrong = METADATA_KEYS.filter((key) => {
      const fallback = METADATA_DEFAULTS[key];
      return fallback === undefined ? !text.includes(`| \`${key}\` |`) : !text.includes(`| \`${key}\` | \`${fallback}\` |`);
    });
    expect(wrong).toEqual([]);
  });
});

describe('README: how it decides', () => {
  const text = section('How it decides');

  it('explains every proposal and every guard by its name in decisions', () => {
    const missing = [...PROPOSAL_NAMES, ...GUARD_NAMES].filter((name) => !text.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
