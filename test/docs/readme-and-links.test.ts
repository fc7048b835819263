import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALERT_RULE_NAMES } from '../../src/alerts/rules/alert-rule.ts';
import type { ErrorCode } from '../../src/errors.ts';
import { GUARD_NAMES } from '../../src/policy/decision.ts';
import { docFile, docHeadings } from '../support/docs.ts';

/** The errors an evaluation of a target can end in, shown as its last error on the dashboard. */
const TARGET_ERRORS: readonly ErrorCode[] = ['PROMETHEUS_UNAVAILABLE', 'CURRENT_REPLICAS_UNKNOWN', 'EVALUATION_TIMEOUT', 'INVALID_METADATA', 'UNKNOWN_PROMETHEUS'];

const DOCS = readdirSync(new URL('../../docs/', import.meta.url))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`)
  .sort();
const ALL = ['README.md', ...DOCS, 'forecasting/README.md'];

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to dashes, repeats numbered. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const heading of docHeadings(text)) {
    const base = heading.text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Relative link targets of a Markdown text (`[text](target)` and `src="target"`), outside code blocks. */
function relativeLinks(text: string): string[] {
  const prose = text.replace(/^```[\s\S]*?^```/gm, '');
  const targets = [...prose.matchAll(/\]\(([^)\s]+)\)|src="([^"]+)"/g)].map((match) => (match[1] ?? match[2])!);
  return targets.filter((target) => !/^[a-z]+:/.test(target));
}

describe('README.md', () => {
  const readme = docFile('README.md');

  it('stays a short page a newcomer reads in five minutes (≤ 250 lines)', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
  });

  it('links to every file in docs/', () => {
    expect(DOCS.length).toBeGreaterThan(5);
    const linked = new Set(relativeLinks(readme).map((target) => target.split('#')[0]));
    expect(DOCS.filter((doc) => !linked.has(doc))).toEqual([]);
  });

  it('says why this and not HPA on CPU, and states the two set-up commands', () => {
    expect(docHeadings(readme).map((heading) => heading.text)).toContain('Why this and not HPA on CPU');
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });
});

describe('links in README.md and docs/', () => {
  for (const file of ALL) {
    it(`${file}: every relative link names a file that exists, and a heading of it when it has an anchor`, () => {
      const base = new URL(`../../${file}`, import.meta.url);
      const broken = relativeLinks(docFile(file)).filter((target) => {
        const [path, anchor] = target.split('#');
        const url = path ? new URL(path, base) : base;
        if (!existsSync(url)) return true;
        if (!anchor) return false;
        const repoPath = url.pathname.slice(new URL('../../', import.meta.url).pathname.length);
        return !repoPath.endsWith('.md') || !anchorsOf(docFile(repoPath)).has(anchor);
      });
      expect(broken).toEqual([]);
    });
  }

  it('no document points at files a user of the repository does not have', () => {
    const outside = ALL.filter((file) => /\.\.\/shared\/traces|DESIGN\.md/.test(docFile(file)));
    expect(outside).toEqual([]);
  });
});

describe('docs/runbook.md', () => {
  const runbook = docFile('docs/runbook.md');

  it('says what to check for every guard, every alert rule and every error a target can show', () => {
    const named = [...GUARD_NAMES, ...ALERT_RULE_NAMES, ...TARGET_ERRORS];
    expect(named.filter((name) => !runbook.includes(`\`${name}\``))).toEqual([]);
  });
});
