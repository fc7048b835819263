// Prometheus compiles `=~` / `!~` values with Go's regexp package (RE2 syntax), anchored as ^(?:re)$.
// JavaScript's RegExp is a different dialect: it has lookaround and backreferences that RE2 lacks, and
// lacks \Q…\E, (?i), (?P<name>…), \pL, \z and [[:alpha:]] that RE2 has. So a pattern is checked by
// walking it with RE2's rules, rejecting what RE2 rejects, and translating the rest into an equivalent
// JavaScript pattern (unicode mode) that must compile too. The translation also lets us tell a matcher
// that matches every value. Follows https://github.com/google/re2/wiki/Syntax and Go's regexp/syntax.

/** Go's regexp/syntax refuses repeat counts above this. */
const MAX_REPEAT_COUNT = 1000;

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\u{0}-\\u{7f}',
  blank: '\\u{9}\\u{20}',
  cntrl: '\\u{0}-\\u{1f}\\u{7f}',
  digit: '0-9',
  graph: '\\u{21}-\\u{7e}',
  lower: 'a-z',
  print: '\\u{20}-\\u{7e}',
  punct: '\\u{21}-\\u{2f}\\u{3a}-\\u{40}\\u{5b}-\\u{60}\\u{7b}-\\u{7e}',
  space: '\\u{9}-\\u{d}\\u{20}',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { a: '\\u{7}', f: '\\f', t: '\\t', n: '\\n', r: '\\r', v: '\\v' };
const PERL_CLASSES = new Set(['d', 'D', 's', 'S', 'w', 'W']);

export type Re2Check = { readonly kind: 'valid'; readonly regExp: RegExp } | { readonly kind: 'invalid'; readonly reason: string };

class Re2SyntaxError extends Error {}

function literal(codePoint: number): string {
  return `\\u{${codePoint.toString(16)}}`;
}

function unicodeClass(name: string, negated: boolean, inClass: boolean): string {
  if (name === 'Any') {
    if (negated) throw new Re2SyntaxError('\\P{Any} matches nothing and is not accepted by RE2');
    return inClass ? '\\u{0}-\\u{10ffff}' : '[\\s\\S]';
  }
  const letter = negated ? 'P' : 'p';
  for (const form of [name, `Script=${name}`]) {
    try {
      new RegExp(`\\p{${form}}`, 'u');
      return `\\${letter}{${form}}`;
    } catch {
      // try the next spelling
    }
  }
  throw new Re2SyntaxError(`unknown Unicode class \\p{${name}}`);
}

/** Reads one escape at `start` (the backslash); returns its JavaScript form and where parsing goes on. */
function escapeAt(pattern: string, start: number, inClass: boolean): { js: string; end: number } {
  const c = pattern[start + 1];
  if (c === undefined) throw new Re2SyntaxError('ends with a lone backslash');
  const after = start + 2;
  if (c >= '1' && c <= '9') {
    const octal = /^[0-7]{1,2}/.exec(pattern.slice(after));
    if (c <= '7' && octal) return { js: literal(Number.parseInt(c + octal[0], 8)), end: after + octal[0].length };
    throw new Re2SyntaxError(`has a backreference \\${c}, which RE2 does not support`);
  }
  if (c === '0') {
    const octal = /^[0-7]{0,2}/.exec(pattern.slice(after))![0];
    return { js: literal(Number.parseInt(`0${octal}`, 8)), end: after + octal.length };
  }
  if (c === 'x') {
    const braced = /^\{([0-9A-Fa-f]+)\}/.exec(pattern.slice(after));
    const short = /^[0-9A-Fa-f]{2}/.exec(pattern.slice(after));
    const hex = braced ? braced[1]! : short?.[0];
    if (hex === undefined) throw new Re2SyntaxError('has \\x without two hex digits or {hex}');
    const codePoint = Number.parseInt(hex, 16);
    if (codePoint > 0x10ffff) throw new Re2SyntaxError(`has \\x{${hex}} beyond the last Unicode code point`);
    return { js: literal(codePoint), end: after + (braced ? braced[0].length : 2) };
  }
  if (c === 'p' || c === 'P') {
    const braced = /^\{(\^?)([A-Za-z_]+)\}/.exec(pattern.slice(after));
    if (braced) return { js: unicodeClass(braced[2]!, (c === 'P') !== (braced[1] === '^'), inClass), end: after + braced[0].length };
    const letter = pattern[after];
    if (letter !== undefined && /[A-Za-z]/.test(letter)) return { js: unicodeClass(letter, c === 'P', inClass), end: after + 1 };
    throw new Re2SyntaxError(`has \\${c} without a class name`);
  }
  if (c in SIMPLE_ESCAPES) return { js: SIMPLE_ESCAPES[c]!, end: after };
  if (PERL_CLASSES.has(c)) return { js: `\\${c}`, end: after };
  if (!inClass) {
    if (c === 'b' || c === 'B') return { js: `\\${c}`, end: after };
    if (c === 'A') return { js: '^', end: after };
    if (c === 'z') return { js: '$', end: after };
  }
  if (c === 'k') throw new Re2SyntaxError('has a named backreference \\k, which RE2 does not support');
  // RE2 lets any ASCII punctuation be escaped; a letter, digit or non-ASCII character is an error.
  if (c.charCodeAt(0) < 0x80 && !/[A-Za-z0-9]/.test(c)) return { js: literal(c.charCodeAt(0)), end: after };
  throw new Re2SyntaxError(`has the escape \\${c}, which RE2 does not know`);
}

/** Reads a bracket class at `start` ('['); RE2 takes a ']' right after '[' or '[^' as a literal. */
function classAt(pattern: string, start: number): { js: string; end: number } {
  let i = start + 1;
  let js = '[';
  if (pattern[i] === '^') {
    js += '^';
    i++;
  }
  if (pattern[i] === ']') {
    js += '\\]';
    i++;
  }
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === ']') return { js: `${js}]`, end: i + 1 };
    if (ch === '[' && pattern[i + 1] === ':') {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i));
      if (posix) {
        const range = POSIX_CLASSES[posix[2]!];
        if (range === undefined) throw new Re2SyntaxError(`has the unknown class [:${posix[2]}:]`);
        // A negated POSIX class cannot sit inside a JavaScript class; a stand-in keeps the syntax check.
        js += posix[1] === '^' ? '\\u{fffd}' : range;
        i += posix[0].length;
        continue;
      }
    }
    if (ch === '\\') {
      const escaped = escapeAt(pattern, i, true);
      js += escaped.js;
      i = escaped.end;
      continue;
    }
    const codePoint = pattern.codePointAt(i)!;
    js += ch === '-' ? '-' : literal(codePoint);
    i += codePoint > 0xffff ? 2 : 1;
  }
  throw new Re2SyntaxError('has a [ without its closing ]');
}

/** Reads a '(?…' group opening at `start`; returns its JavaScript form. */
function groupAt(pattern: string, start: number, names: Set<string>): { js: string; end: number } {
  const rest = pattern.slice(start + 2);
  if (/^(<?[=!])/.test(rest)) throw new Re2SyntaxError('has lookahead or lookbehind ((?=, (?!, (?<=, (?<!), which RE2 does not support');
  if (rest.startsWith('>')) throw new Re2SyntaxError('has an atomic group (?>…), which RE2 does not support');
  const named = /^P?<([A-Za-z0-9_]+)>/.exec(rest);
  if (named) {
    if (names.has(named[1]!)) throw new Re2SyntaxError(`names two groups ${named[1]}`);
    names.add(named[1]!);
    return { js: '(', end: start + 2 + named[0].length };
  }
  if (/^P?</.test(rest)) throw new Re2SyntaxError('has a group name that is not letters, digits and _');
  const flags = /^([imsU]*)(?:-([imsU]+))?([:)])/.exec(rest);
  if (flags && (flags[1] !== '' || flags[2] !== undefined || flags[3] === ':')) {
    // Flags change matching, not syntax: the checked pattern keeps the group and drops the flags.
    return { js: flags[3] === ':' ? '(?:' : '', end: start + 2 + flags[0].length };
  }
  throw new Re2SyntaxError(`has the group syntax "(?${rest.slice(0, 2)}", which RE2 does not support`);
}

function translate(pattern: string): string {
  const names = new Set<string>();
  let js = '';
  let i = 0;
  // What the last token was, for RE2's "nested repetition" rule (a**, a*+, a{2}{3}).
  let last: 'atom' | 'repeat' | 'lazy' | 'none' = 'none';
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === '\\' && pattern[i + 1] === 'Q') {
      const endQuote = pattern.indexOf('\\E', i + 2);
      const text = pattern.slice(i + 2, endQuote === -1 ? undefined : endQuote);
      for (const char of text) js += literal(char.codePointAt(0)!);
      i = endQuote === -1 ? pattern.length : endQuote + 2;
      last = text === '' ? last : 'atom';
      continue;
    }
    if (ch === '\\') {
      const escaped = escapeAt(pattern, i, false);
      js += escaped.js;
      i = escaped.end;
      last = 'atom';
      continue;
    }
    if (ch === '[') {
      const cls = classAt(pattern, i);
      js += cls.js;
      i = cls.end;
      last = 'atom';
      continue;
    }
    if (ch === '(') {
      const group = pattern[i + 1] === '?' ? groupAt(pattern, i, names) : { js: '(', end: i + 1 };
      js += group.js;
      i = group.end;
      last = 'none';
      continue;
    }
    const counted = ch === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i)) : null;
    if (ch === '*' || ch === '+' || ch === '?' || counted) {
      if (ch === '?' && last === 'repeat') {
        js += '?';
        i++;
        last = 'lazy';
        continue;
      }
      if (last === 'repeat' || last === 'lazy') throw new Re2SyntaxError(`has a nested repetition operator at "${pattern.slice(Math.max(0, i - 1), i + 1)}"; RE2 has no possessive quantifiers`);
      if (last === 'none') throw new Re2SyntaxError(`has the repetition operator ${ch} with nothing to repeat`);
      if (counted) {
        const min = Number(counted[1]);
        const max = counted[2] === undefined ? min : counted[3] === '' ? min : Number(counted[3]);
        if (min > MAX_REPEAT_COUNT || max > MAX_REPEAT_COUNT) throw new Re2SyntaxError(`has a repeat count above ${MAX_REPEAT_COUNT}, which RE2 does not accept`);
        if (max < min) throw new Re2SyntaxError(`has the repeat range ${counted[0]} with its maximum below its minimum`);
        js += counted[0];
        i += counted[0].length;
      } else {
        js += ch;
        i++;
      }
      last = 'repeat';
      continue;
    }
    if (ch === '|' || ch === ')' || ch === '^' || ch === '$') {
      js += ch;
      i++;
      last = ch === ')' ? 'atom' : 'none';
      continue;
    }
    if (ch === '.') {
      js += '.';
      i++;
      last = 'atom';
      continue;
    }
    // Everything else is a literal; RE2 takes a '{' that opens no repeat count literally, as it does ']' and '}'.
    const codePoint = pattern.codePointAt(i)!;
    js += literal(codePoint);
    i += codePoint > 0xffff ? 2 : 1;
    last = 'atom';
  }
  return js;
}

/**
 * Checks `pattern` as Prometheus will compile it (RE2, anchored at both ends). On success returns an
 * equivalent anchored JavaScript RegExp (case flags aside), to test which values the matcher selects.
 */
export function checkRe2Pattern(pattern: string): Re2Check {
  let js: string;
  try {
    js = translate(pattern);
  } catch (error) {
    if (error instanceof Re2SyntaxError) return { kind: 'invalid', reason: error.message };
    throw error;
  }
  try {
    return { kind: 'valid', regExp: new RegExp(`^(?:${js})$`, 'u') };
  } catch (error) {
    // V8's message quotes the translated pattern; keep only its last part ("Unterminated group").
    const message = (error as Error).message;
    return { kind: 'invalid', reason: `is not a valid regular expression: ${message.slice(message.lastIndexOf(': ') + 2)}` };
  }
}
