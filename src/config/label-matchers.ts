// gatewaySelector is parsed as PromQL label matchers the way Prometheus' lexer and parser read them
// (promql/parser/lex.go: names, the four operators, "…", '…' and `…` strings with Go escapes), so a
// selector Prometheus would refuse is refused here, with the reason, before any query is sent. The
// selector that reaches Prometheus is re-written from the parsed matchers, never the raw text.
import { echoValue } from '../errors.ts';
import { checkRe2Pattern } from './re2-pattern.ts';

export type MatchOperator = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly name: string;
  readonly operator: MatchOperator;
  /** The value after unquoting (for =~ / !~ the RE2 pattern). */
  readonly value: string;
}

export type LabelMatchersParse =
  | { readonly kind: 'valid'; readonly matchers: readonly LabelMatcher[]; readonly selector: string }
  | { readonly kind: 'invalid'; readonly reason: string };

const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const OPERATOR = /=~|!~|!=|=/y;
const WHITESPACE = /[ \t\r\n]*/y;
const EXAMPLE = 'e.g. job="otel-gateway",namespace="observability"';

/**
 * Values a selector meant for one gateway tier never matches all of; a regex matching every one of
 * them is taken as "matches every value". Varied on purpose: letters, digits, punctuation, spaces,
 * non-ASCII, long.
 */
const PROBE_VALUES = ['a', 'Z', '0', '-', '_', '.', 'x y', 'otel-gateway', 'gateway-7.observability', 'é', '日本', 'a'.repeat(300)];

class SelectorSyntaxError extends Error {}

const SIMPLE_STRING_ESCAPES: Readonly<Record<string, number>> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };

function utf8(codePoint: number): number[] {
  return [...new TextEncoder().encode(String.fromCodePoint(codePoint))];
}

/** Reads a quoted string at `start` with Go's escapes (as strconv.Unquote, which Prometheus uses). */
function stringAt(text: string, start: number, label: string): { value: string; end: number } {
  const quote = text[start];
  if (quote !== '"' && quote !== "'" && quote !== '`') throw new SelectorSyntaxError(`the value of ${label} must be quoted, e.g. ${label}="otel-gateway"`);
  if (quote === '`') {
    const close = text.indexOf('`', start + 1);
    if (close === -1) throw new SelectorSyntaxError(`the value of ${label} has no closing \``);
    return { value: text.slice(start + 1, close), end: close + 1 };
  }
  const bytes: number[] = [];
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === quote) {
      const value = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      try {
        return { value: value.decode(new Uint8Array(bytes)), end: i + 1 };
      } catch {
        throw new SelectorSyntaxError(`the value of ${label} is not valid UTF-8 after its escapes`);
      }
    }
    if (ch === '\n') throw new SelectorSyntaxError(`the value of ${label} has a line break inside ${quote}…${quote}; use \\n`);
    if (ch !== '\\') {
      const codePoint = text.codePointAt(i)!;
      bytes.push(...utf8(codePoint));
      i += codePoint > 0xffff ? 2 : 1;
      continue;
    }
    const c = text[i + 1];
    if (c === undefined) break;
    if (c === quote) {
      bytes.push(quote.charCodeAt(0));
      i += 2;
    } else if (c in SIMPLE_STRING_ESCAPES) {
      bytes.push(SIMPLE_STRING_ESCAPES[c]!);
      i += 2;
    } else if (c === 'x' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 2, i + 4))) {
      bytes.push(Number.parseInt(text.slice(i + 2, i + 4), 16));
      i += 4;
    } else if (/^[0-7]{3}$/.test(text.slice(i + 1, i + 4)) && Number.parseInt(text.slice(i + 1, i + 4), 8) <= 255) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 4), 8));
      i += 4;
    } else if ((c === 'u' || c === 'U') && /^[0-9A-Fa-f]+$/.test(text.slice(i + 2, i + (c === 'u' ? 6 : 10))) && text.slice(i + 2, i + (c === 'u' ? 6 : 10)).length === (c === 'u' ? 4 : 8)) {
      const codePoint = Number.parseInt(text.slice(i + 2, i + (c === 'u' ? 6 : 10)), 16);
      if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) throw new SelectorSyntaxError(`the value of ${label} has \\${c}${text.slice(i + 2, i + (c === 'u' ? 6 : 10))}, which is not a Unicode character`);
      bytes.push(...utf8(codePoint));
      i += c === 'u' ? 6 : 10;
    } else {
      throw new SelectorSyntaxError(
        `the value of ${label} has the escape \\${c}, which PromQL does not know inside ${quote}…${quote} (use \\\\ for a backslash, or a \`…\` raw string for a regex)`,
      );
    }
  }
  throw new SelectorSyntaxError(`the value of ${label} has no closing ${quote}`);
}

/** The token a sticky regex reads at `at`, if any. */
function tokenAt(sticky: RegExp, text: string, at: number): string | undefined {
  sticky.lastIndex = at;
  return sticky.exec(text)?.[0];
}

/** A short view of what stands at `at`, for "expected … at" messages. */
function found(text: string, at: number): string {
  return at >= text.length ? 'the end' : `"${echoValue(text.slice(at, at + 20))}"`;
}

/** Which values a matcher selects, judged on PROBE_VALUES; the second rule is Prometheus' own (an "empty matcher"). */
function selectsEveryValue(matcher: LabelMatcher, regExp: RegExp | undefined): boolean {
  if (matcher.operator === '=') return false;
  if (matcher.operator === '!=') return matcher.value === '';
  if (matcher.operator === '=~') return PROBE_VALUES.every((value) => regExp!.test(value));
  // `!~` excludes what the regex matches: it selects everything when the regex can match only "".
  return regExp!.test('') && /^[\^$()|?:]*$/.test(matcher.value);
}

function narrows(matcher: LabelMatcher, regExp: RegExp | undefined): boolean {
  if (matcher.operator === '=') return matcher.value !== '';
  if (matcher.operator === '=~') return !regExp!.test('');
  return false;
}

function parse(text: string): LabelMatcher[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) throw new SelectorSyntaxError(`must be the label matchers without braces, ${EXAMPLE}`);
  const matchers: LabelMatcher[] = [];
  let at = 0;
  const skipWhitespace = () => {
    at += tokenAt(WHITESPACE, text, at)?.length ?? 0;
  };
  for (;;) {
    skipWhitespace();
    if (at >= text.length) break;
    const name = tokenAt(LABEL_NAME, text, at);
    if (name === undefined) throw new SelectorSyntaxError(`expected a label name at character ${at + 1}, found ${found(text, at)}; ${EXAMPLE}`);
    at += name.length;
    skipWhitespace();
    const operator = tokenAt(OPERATOR, text, at) as MatchOperator | undefined;
    if (operator === undefined) throw new SelectorSyntaxError(`expected =, !=, =~ or !~ after ${name}, found ${found(text, at)}`);
    at += operator.length;
    skipWhitespace();
    const { value, end } = stringAt(text, at, name);
    at = end;
    matchers.push({ name, operator, value });
    skipWhitespace();
    if (at >= text.length) break;
    if (text[at] !== ',') throw new SelectorSyntaxError(`expected , between matchers at character ${at + 1}, found ${found(text, at)}`);
    at++;
  }
  if (matchers.length === 0) throw new SelectorSyntaxError(`must hold at least one label matcher, ${EXAMPLE}`);
  return matchers;
}

/** Go-compatible double-quoted form of a value (JSON's escapes are a subset of Go's). */
function quote(value: string): string {
  return JSON.stringify(value);
}

/**
 * Parses a gateway selector. Valid means: Prometheus would parse it the same way, every regex is
 * RE2, no matcher on __name__ (the catalogue picks the metrics), none that selects every value of its
 * label, and at least one = or =~ matcher that picks something (negative matchers alone select every
 * other series in Prometheus).
 */
export function parseLabelMatchers(text: string): LabelMatchersParse {
  let matchers: LabelMatcher[];
  try {
    matchers = parse(text);
  } catch (error) {
    if (error instanceof SelectorSyntaxError) return { kind: 'invalid', reason: error.message };
    throw error;
  }
  let narrowing = false;
  for (const matcher of matchers) {
    const written = `${matcher.name}${matcher.operator}${echoValue(quote(matcher.value))}`;
    if (matcher.name === '__name__') {
      return { kind: 'invalid', reason: 'must not match __name__: the scaler picks the metrics; select the gateways by target labels such as job or namespace' };
    }
    let regExp: RegExp | undefined;
    if (matcher.operator === '=~' || matcher.operator === '!~') {
      const check = checkRe2Pattern(matcher.value);
      if (check.kind === 'invalid') return { kind: 'invalid', reason: `has ${written}, whose regex ${check.reason}` };
      regExp = check.regExp;
    }
    if (selectsEveryValue(matcher, regExp)) {
      return { kind: 'invalid', reason: `has ${written}, which matches every ${matcher.name}; name the gateways, e.g. ${matcher.name}="otel-gateway"` };
    }
    narrowing ||= narrows(matcher, regExp);
  }
  if (!narrowing) {
    return { kind: 'invalid', reason: `needs at least one = or =~ matcher that picks the gateways (negative matchers alone select every other series), ${EXAMPLE}` };
  }
  return { kind: 'valid', matchers, selector: matchers.map((matcher) => `${matcher.name}${matcher.operator}${quote(matcher.value)}`).join(',') };
}
