import { describe, expect, it } from 'vitest';
import { parseLabelMatchers } from '../../src/config/label-matchers.ts';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';

// The selector grammar: what Prometheus would parse, RE2 regexes, and no matcher that selects everything.
// `want` is the selector as Prometheus gets it, or the reason the metadata error gives.
const EXAMPLE = 'e.g. job="otel-gateway",namespace="observability"';
const ONLY_NEGATIVE = `needs at least one = or =~ matcher that picks the gateways (negative matchers alone select every other series), ${EXAMPLE}`;

const valid: { name: string; input: string; want: string }[] = [
  { name: 'one equality matcher', input: 'job="otel-gateway"', want: 'job="otel-gateway"' },
  { name: 'comma inside a quoted regex value', input: 'job="otel-gateway",namespace=~"obs,obs-2"', want: 'job="otel-gateway",namespace=~"obs,obs-2"' },
  { name: 'single quotes, spaces and a trailing comma', input: " job = 'gw' , ", want: 'job="gw"' },
  { name: 'a raw string keeps its backslashes', input: 'job=~`gateway-\\d+`', want: 'job=~"gateway-\\\\d+"' },
  { name: 'an escaped backslash in a double-quoted regex', input: 'job=~"gateway-\\\\d+"', want: 'job=~"gateway-\\\\d+"' },
  { name: 'a \\u escape', input: 'job="\\u00e9"', want: 'job="é"' },
  { name: 'RE2 flags', input: 'job=~"(?i)gateway"', want: 'job=~"(?i)gateway"' },
  { name: 'RE2 named group (?P<name>)', input: 'job=~"(?P<tier>gw)"', want: 'job=~"(?P<tier>gw)"' },
  { name: 'RE2 one-letter Unicode class', input: 'job=~"\\\\pL+"', want: 'job=~"\\\\pL+"' },
  { name: 'RE2 POSIX class', input: 'job=~"[[:alpha:]]+"', want: 'job=~"[[:alpha:]]+"' },
  { name: 'RE2 quoted literal \\Q…\\E', input: 'job=~"\\\\Qa.b\\\\E"', want: 'job=~"\\\\Qa.b\\\\E"' },
  { name: 'RE2 literal brace that opens no count', input: 'job=~"a{,3}"', want: 'job=~"a{,3}"' },
  { name: 'RE2 literal ] first in a class', input: 'job=~"[]a]"', want: 'job=~"[]a]"' },
  { name: 'a negative matcher beside a positive one', input: 'job="gw",pod!~"gw-canary-.*"', want: 'job="gw",pod!~"gw-canary-.*"' },
];

const invalid: { name: string; input: string; want: string }[] = [
  { name: 'empty', input: '', want: `must hold at least one label matcher, ${EXAMPLE}` },
  { name: 'braces', input: '{job="a"}', want: `must be the label matchers without braces, ${EXAMPLE}` },
  { name: 'a bare word', input: 'otel-gateway', want: 'expected =, !=, =~ or !~ after otel, found "-gateway"' },
  { name: 'a name without operator', input: 'job', want: 'expected =, !=, =~ or !~ after job, found the end' },
  { name: 'an unquoted value', input: 'job=a', want: 'the value of job must be quoted, e.g. job="otel-gateway"' },
  { name: 'a missing comma', input: 'job="a" ns="b"', want: 'expected , between matchers at character 9, found "ns="b""' },
  { name: 'an unclosed quote', input: 'job="a', want: 'the value of job has no closing "' },
  { name: 'an unknown string escape', input: 'job="\\x"', want: 'the value of job has the escape \\x, which PromQL does not know inside "…" (use \\\\ for a backslash, or a `…` raw string for a regex)' },
  { name: 'a line break in a quoted value', input: 'job="a\nb"', want: 'the value of job has a line break inside "…"; use \\n' },
  { name: 'bytes that are not UTF-8', input: 'job="\\xff"', want: 'the value of job is not valid UTF-8 after its escapes' },
  { name: 'a surrogate code point', input: 'job="\\ud800"', want: 'the value of job has \\ud800, which is not a Unicode character' },
  { name: 'an unterminated regex group', input: 'job=~"(a|b"', want: 'has job=~"(a|b", whose regex is not a valid regular expression: Unterminated group' },
  { name: 'lookahead (JavaScript has it, RE2 does not)', input: 'job=~"(?=a)b"', want: 'has job=~"(?=a)b", whose regex has lookahead or lookbehind ((?=, (?!, (?<=, (?<!), which RE2 does not support' },
  { name: 'a backreference', input: 'job=~"(a)\\\\1"', want: 'has job=~"(a)\\\\1", whose regex has a backreference \\1, which RE2 does not support' },
  { name: 'a possessive quantifier', input: 'job=~"a*+"', want: 'has job=~"a*+", whose regex has a nested repetition operator at "*+"; RE2 has no possessive quantifiers' },
  { name: 'a repeat count RE2 refuses', input: 'job=~"a{1001}"', want: 'has job=~"a{1001}", whose regex has a repeat count above 1000, which RE2 does not accept' },
  { name: 'an escape RE2 does not know', input: 'job=~"\\\\y"', want: 'has job=~"\\\\y", whose regex has the escape \\y, which RE2 does not know' },
  { name: 'a reversed class range', input: 'job=~"[z-a]"', want: 'has job=~"[z-a]", whose regex is not a valid regular expression: Range out of order in character class' },
  { name: '__name__', input: '__name__="up"', want: 'must not match __name__: the scaler picks the metrics; select the gateways by target labels such as job or namespace' },
  { name: 'job!~"" selects every job', input: 'job!~""', want: 'has job!~"", which matches every job; name the gateways, e.g. job="otel-gateway"' },
  { name: 'job=~".*" selects every job', input: 'job=~".*"', want: 'has job=~".*", which matches every job; name the gateways, e.g. job="otel-gateway"' },
  { name: 'job=~".+" selects every job', input: 'job=~".+"', want: 'has job=~".+", which matches every job; name the gateways, e.g. job="otel-gateway"' },
  { name: 'a match-everything matcher beside a good one', input: 'job="a",namespace=~".*"', want: 'has namespace=~".*", which matches every namespace; name the gateways, e.g. namespace="otel-gateway"' },
  { name: 'job!="" selects every job', input: 'job="a",pod!=""', want: 'has pod!="", which matches every pod; name the gateways, e.g. pod="otel-gateway"' },
  { name: 'negative matchers alone', input: 'job!="x"', want: ONLY_NEGATIVE },
  { name: 'an equality with the empty value alone', input: 'job=""', want: ONLY_NEGATIVE },
  { name: 'a regex that matches the empty value alone', input: 'job=~"x*"', want: ONLY_NEGATIVE },
];

describe('gateway selector grammar', () => {
  for (const row of valid) {
    it(`accepts ${row.name}`, () => {
      const parsed = parseLabelMatchers(row.input);
      expect(parsed).toMatchObject({ kind: 'valid', selector: row.want });
      expect(parseTargetMetadata({ gatewaySelector: row.input }).gatewaySelector).toBe(row.want);
    });
  }
  for (const row of invalid) {
    it(`rejects ${row.name}`, () => {
      expect(parseLabelMatchers(row.input)).toEqual({ kind: 'invalid', reason: row.want });
      const metadataError = row.input.trim() === '' ? 'scalerMetadata.gatewaySelector must not be empty' : `scalerMetadata.gatewaySelector ${row.want}`;
      expect(() => parseTargetMetadata({ gatewaySelector: row.input })).toThrow(metadataError);
    });
  }

  it('cuts a huge echoed value to 200 characters', () => {
    const parsed = parseLabelMatchers(`job=~"(${'a'.repeat(3000)}"`);
    expect(parsed.kind).toBe('invalid');
    expect(parsed.kind === 'invalid' && parsed.reason.length).toBeLessThan(400);
    expect(parsed.kind === 'invalid' && parsed.reason).toContain('more characters');
  });
});
