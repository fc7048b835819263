// A real CoreDNS answering for the gateways' name from the tier's hosts file, as a cluster's CoreDNS
// answers for a headless Service: records with a TTL (the kubernetes plugin's `ttl`) and a cache in
// front of them (the `cache` plugin), so an answer given before a gateway left goes on naming it until
// its TTL runs out. Listens on port 53 of a loopback address, since resolv.conf takes no port.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { onProcessExit } from '../../support/on-process-exit.ts';

const BUILD_SCRIPT = fileURLToPath(new URL('../../../scripts/coredns-build.sh', import.meta.url));
const READY_TIMEOUT_MS = 15_000;

export interface ClusterDns {
  /** The address agents put in resolv.conf. */
  readonly address: string;
  readonly ttlSeconds: number;
  /** How long the answer the cache holds for `hostname` goes on being served; 0 when none is cached. */
  remainingTtlSeconds(hostname: string): Promise<number>;
  stop(): Promise<void>;
}

/** Path of the built CoreDNS; builds it once per machine (minutes). */
function corednsBinary(): string {
  const output = execFileSync('bash', [BUILD_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
  const binary = output.trim().split('\n').at(-1) ?? '';
  if (!existsSync(binary)) throw new Error(`scripts/coredns-build.sh did not produce a CoreDNS binary (printed "${binary}")`);
  return binary;
}

/** Starts CoreDNS serving `hostsFile` (re-read every second) with `ttlSeconds` on its records and a cache of as long. */
export async function startClusterDns(options: { readonly address: string; readonly hostsFile: string; readonly ttlSeconds: number; readonly probeHostname: string }): Promise<ClusterDns> {
  const dir = mkdtempSync(join(tmpdir(), 'coredns-'));
  const corefile = join(dir, 'Corefile');
  writeFileSync(
    corefile,
    [
      '.:53 {',
      `    bind ${options.address}`,
      `    hosts ${options.hostsFile} {`,
      `        ttl ${options.ttlSeconds}`,
      '        reload 1s',
      '        no_reverse',
      '    }',
      `    cache ${options.ttlSeconds}`,
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(corednsBinary(), ['-conf', corefile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const record = (chunk: Buffer) => output.push(chunk.toString('utf8'));
  child.stdout?.on('data', record);
  child.stderr?.on('data', record);
  const forgetOnExit = onProcessExit(() => child.kill('SIGKILL'));
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([options.address]);

  const stop = async () => {
    forgetOnExit();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const startedAt = Date.now();
  for (;;) {
    try {
      await resolver.resolve4(options.probeHostname);
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() - startedAt > READY_TIMEOUT_MS) {
        await stop();
        throw new Error(`CoreDNS on ${options.address}:53 did not answer for ${options.probeHostname} (${(error as Error).message}): ${output.join('').slice(-2000)}`);
      }
      await sleep(100);
    }
  }

  return {
    address: options.address,
    ttlSeconds: options.ttlSeconds,
    remainingTtlSeconds: async (hostname) => {
      try {
        const answers = await resolver.resolve4(hostname, { ttl: true });
        return Math.min(...answers.map((answer) => answer.ttl));
      } catch {
        return 0;
      }
    },
    stop,
  };
}
