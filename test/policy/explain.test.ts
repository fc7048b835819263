import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asSentence } from '../../src/policy/explain.ts';

describe('asSentence', () => {
  it('trims, capitalises the first letter and ends with a full stop unless it ends with . ! or ?', () => {
    expect(asSentence('  drain of 40s covers decision_wait ')).toBe('Drain of 40s covers decision_wait.');
    expect(asSentence('Already a sentence.')).toBe('Already a sentence.');
    expect(asSentence('really?')).toBe('Really?');
    expect(asSentence('   ')).toBe('');
  });

  it('is the capitalised, trimmed text with a full stop added where no sentence end is, for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'B', 'ß', 'é', ' ', '.', '!', '?', '\n', 'x', '1') }), (text) => {
        const trimmed = text.trim();
        const capitalised = trimmed === '' ? '' : trimmed[0]!.toUpperCase() + trimmed.slice(1);
        expect(asSentence(text)).toBe(capitalised === '' || /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`);
      }),
      { numRuns: 500 },
    );
  });
});
