import { describe, expect, it } from 'vitest';
import { METADATA_DEFAULTS, METADATA_KEYS } from '../../src/config/target-metadata.ts';
import { GUARD_NAMES, PROPOSAL_NAMES } from '../../src/policy/decision.ts';
import { docSection } from '../support/docs.ts';


describe('docs/trigger-metadata.md: the metadata table', () => {
  const text = docSection('docs/trigger-metadata.md', 'Per-target metadata (ScaledObject trigger)');

  it('has a row for every metadata key, stating its built-in default', () => {
    const wrong = METADATA_KEYS.filter((key) => {
      const fallback = METADATA_DEFAULTS[key];
      return fallback === undefined ? !text.includes(`| \`${key}\` |`) : !text.includes(`| \`${key}\` | \`${fallback}\` |`);
    });
    expect(wrong).toEqual([]);
  });
});

describe('docs/how-it-decides.md', () => {
  const text = docSection('docs/how-it-decides.md', 'How it decides');

  it('explains every proposal and every guard by its name in decisions', () => {
    const missing = [...PROPOSAL_NAMES, ...GUARD_NAMES].filter((name) => !text.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
