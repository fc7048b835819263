// The example gateway and agent configs in deploy/ must load in a real collector of the release the
// collector tests run (`otelcol validate` parses the config and builds every component's settings).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectorBinary } from './support/collector-process.ts';

const run = promisify(execFile);
const exampleConfig = (name: string) => fileURLToPath(new URL(`../../deploy/examples/gateway/${name}`, import.meta.url));

describe('deploy/examples configs in the built collector', () => {
  let binary: string;
  beforeAll(() => {
    binary = collectorBinary();
  }, 30 * 60_000);

  it.each(['gateway-collector.yaml', 'agent-collector.yaml'])('%s passes otelcol validate', async (name) => {
    const result = await run(binary, ['validate', `--config=${exampleConfig(name)}`]).then(
      () => ({ ok: true, output: '' }),
      (error: { stderr?: string; stdout?: string }) => ({ ok: false, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('rejects a config with an unknown component, so a passing validate means something', async () => {
    const failure = await run(binary, ['validate', '--config=yaml:receivers: { nosuchreceiver: {} }']).then(
      () => undefined,
      (error: { stderr?: string }) => error.stderr ?? '',
    );
    expect(failure).toMatch(/nosuchreceiver/);
  });
});
