// The Dockerfile read as instructions, for the tests that hold the image, the build and the Kubernetes
// manifests to the same facts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DOCKERFILE = fileURLToPath(new URL('../../../Dockerfile', import.meta.url));

export interface Instruction {
  readonly keyword: string;
  readonly argument: string;
}

/** The Dockerfile's instructions in order (comments dropped, continuation lines joined). */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), argument: rest.join(' ') };
    });
}

/** The project's Dockerfile. */
export function readDockerfile(): Instruction[] {
  return instructions(readFileSync(DOCKERFILE, 'utf8'));
}

/** Sources (relative to the build context) that the named stage COPYs from the context. */
export function contextCopiesOf(dockerfile: readonly Instruction[], stage: string): string[] {
  const start = dockerfile.findIndex((instruction) => instruction.keyword === 'FROM' && instruction.argument.endsWith(` AS ${stage}`));
  if (start < 0) throw new Error(`the Dockerfile has no stage named ${stage}`);
  const end = dockerfile.findIndex((instruction, index) => index > start && instruction.keyword === 'FROM');
  return dockerfile
    .slice(start + 1, end < 0 ? undefined : end)
    .filter((instruction) => instruction.keyword === 'COPY' && !instruction.argument.startsWith('--from'))
    .flatMap((instruction) => instruction.argument.split(/\s+/).slice(0, -1));
}
