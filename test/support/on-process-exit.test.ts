// The one exit listener that kills a test's child processes: it must run what is registered, skip what
// was forgotten, and keep going past a cleanup that throws.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('./on-process-exit.ts', import.meta.url));

describe('onProcessExit', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every registered cleanup on exit except the forgotten one, past one that throws, and twenty of them add no listener warning', () => {
    dir = mkdtempSync(join(tmpdir(), 'on-process-exit-'));
    const script = join(dir, 'exits.ts');
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';
import { onProcessExit } from ${JSON.stringify(MODULE)};
const mark = (name) => () => writeFileSync(${JSON.stringify(dir)} + '/' + name, '');
onProcessExit(() => { throw new Error('cannot kill'); });
for (let child = 0; child < 20; child++) onProcessExit(mark('ran-' + child));
const forget = onProcessExit(mark('forgotten'));
forget();
`,
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('MaxListenersExceededWarning');
    for (let child = 0; child < 20; child++) expect(existsSync(join(dir, `ran-${child}`)), `cleanup ${child}`).toBe(true);
    expect(existsSync(join(dir, 'forgotten'))).toBe(false);
  });
});
