// The project's documentation (README.md and docs/*.md), read by the tests that keep its tables in
// step with the code.
import { readFileSync } from 'node:fs';

const ROOT = new URL('../../', import.meta.url);

/** The text of one documentation file, by its path in the repository (e.g. `docs/configuration.md`). */
export function docFile(path: string): string {
  return readFileSync(new URL(path, ROOT), 'utf8');
}

export interface DocHeading {
  readonly level: number;
  readonly text: string;
  /** Index of the line the heading is on. */
  readonly line: number;
}

/** The Markdown headings of a text, skipping `#` lines inside fenced code blocks (PromQL comments, examples). */
export function docHeadings(text: string): DocHeading[] {
  const headings: DocHeading[] = [];
  let inFence = false;
  text.split('\n').forEach((line, index) => {
    if (line.startsWith('```')) inFence = !inFence;
    const match = inFence ? null : /^(#{1,6}) (.+)$/.exec(line);
    if (match) headings.push({ level: match[1]!.length, text: match[2]!, line: index });
  });
  return headings;
}

/**
 * The text of one section of a documentation file: from its heading (any level) up to the next heading
 * of the same or a higher level. Throws, naming the file, when the section is gone.
 */
export function docSection(path: string, heading: string): string {
  const text = docFile(path);
  const headings = docHeadings(text);
  const index = headings.findIndex((candidate) => candidate.text === heading);
  if (index < 0) throw new Error(`${path} has no "${heading}" heading; headings: ${headings.map((h) => h.text).join(', ')}`);
  const start = headings[index]!;
  const next = headings.slice(index + 1).find((candidate) => candidate.level <= start.level);
  const lines = text.split('\n');
  return lines.slice(start.line, next?.line).join('\n');
}
