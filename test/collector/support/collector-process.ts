// Runs one process of the test collector distribution (built from test/collector/builder-config.yaml
// by scripts/collector-build.sh) with a generated config. Optional: a private /etc/hosts bind-mounted
// in its own mount namespace (`unshare -m`, so the agents' DNS resolver sees only the live gateways),
// and a CPU limit (GOMAXPROCS plus a cgroup CPU quota). Every process is killed when the test process exits.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { onProcessExit } from '../../support/on-process-exit.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BUILDER_MANIFEST = join(REPO_ROOT, 'test', 'collector', 'builder-config.yaml');
const BUILD_SCRIPT = join(REPO_ROOT, 'scripts', 'collector-build.sh');

/** The collector release the manifest builds (its dist.version). */
export function collectorRelease(): string {
  return builtDistribution().version;
}

/** The distribution the manifest builds, as its collectors report it (service_name, service_version). */
export function builtDistribution(): { readonly name: string; readonly version: string } {
  const manifest = parseYaml(readFileSync(BUILDER_MANIFEST, 'utf8')) as { dist?: { name?: string; version?: string } };
  const { name, version } = manifest.dist ?? {};
  if (!name || !version) throw new Error(`${BUILDER_MANIFEST} has no dist.name or dist.version`);
  return { name, version };
}

/**
 * Path of the built collector. Runs the build script, which returns at once when the binary for this
 * manifest exists and otherwise builds it (minutes, once per machine).
 */
export function collectorBinary(): string {
  const output = execFileSync('bash', [BUILD_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
  const binary = output.trim().split('\n').at(-1) ?? '';
  if (!existsSync(binary)) throw new Error(`scripts/collector-build.sh did not produce a collector binary (printed "${binary}")`);
  return binary;
}

export interface CpuLimit {
  /** GOMAXPROCS of the process. */
  readonly goMaxProcs: number;
  /**
   * CPU time per wall-clock second the cgroup allows once the collector is ready, e.g. 0.25 = a quarter
   * of one CPU. Start-up runs unlimited: under a twenty-fifth of a core it alone takes tens of seconds of
   * wall time, and what a CPU-limited gateway is run to show is how it serves, not how it starts.
   */
  readonly cpus: number;
}

export interface CollectorProcessOptions {
  readonly name: string;
  readonly binary: string;
  readonly config: Record<string, unknown>;
  /** http://host:port/ of the health_check extension; start() resolves once it answers 200. */
  readonly healthUrl: string;
  /** Files bind-mounted over files of /etc for this process only (e.g. a hosts file over /etc/hosts), in a private mount namespace. */
  readonly etcMounts?: Readonly<Record<string, string>>;
  readonly cpuLimit?: CpuLimit;
  readonly readyTimeoutMs?: number;
}

export interface CollectorProcess {
  readonly name: string;
  readonly pid: number;
  /** When the process was spawned and when its health check first answered (ms since epoch). */
  readonly startedAtMs: number;
  readonly readyAtMs: number;
  /** User + system CPU seconds the process has used so far (from /proc). */
  cpuSeconds(): number;
  /** Resident memory in bytes (from /proc). */
  rssBytes(): number;
  output(): string;
  /** SIGTERM, then SIGKILL after the grace period; removes its temporary files and cgroup. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_LINES_KEPT = 80;
const CLOCK_TICKS_PER_SECOND = 100;

/** A cgroup (v1 cpu controller, or v2 with cpu enabled) that holds one process to a CPU quota. */
function createCpuCgroup(name: string, cpus: number): { readonly add: (pid: number) => void; readonly remove: () => void } {
  const periodMicros = 100_000;
  const quotaMicros = Math.max(1000, Math.round(cpus * periodMicros));
  const unique = `otel-gateway-scaler-test-${process.pid}-${name}`;
  if (existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')) {
    const dir = join('/sys/fs/cgroup/cpu', unique);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cpu.cfs_period_us'), String(periodMicros));
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quotaMicros));
    return { add: (pid) => writeFileSync(join(dir, 'cgroup.procs'), String(pid)), remove: () => rmdirSync(dir) };
  }
  if (existsSync('/sys/fs/cgroup/cgroup.controllers') && readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes('cpu')) {
    if (!readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').split(/\s+/).includes('cpu')) writeFileSync('/sys/fs/cgroup/cgroup.subtree_control', '+cpu');
    const dir = join('/sys/fs/cgroup', unique);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cpu.max'), `${quotaMicros} ${periodMicros}`);
    return { add: (pid) => writeFileSync(join(dir, 'cgroup.procs'), String(pid)), remove: () => rmdirSync(dir) };
  }
  throw new Error('CPU-limited gateways need a writable cgroup cpu controller (/sys/fs/cgroup/cpu or cgroup v2 with cpu); run the collector tests as root on Linux');
}

async function answers200(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Starts the collector and resolves once its health check answers 200. */
export async function startCollectorProcess(options: CollectorProcessOptions): Promise<CollectorProcess> {
  const dir = mkdtempSync(join(tmpdir(), `otelcol-${options.name}-`));
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, toYaml(options.config));
  const collectorArgs = [`--config=${configFile}`];
  const mounts = Object.entries(options.etcMounts ?? {});
  for (const [over] of mounts) if (!/^\/etc\/[a-z.]+$/.test(over)) throw new Error(`etcMounts: ${over} is not a file of /etc`);
  // sh -c 'mount --bind "$1" /etc/hosts && … && exec "$0" "$@"': the files come as arguments, never as shell text.
  const mountScript = [...mounts.map(([over], index) => `mount --bind "$${index + 1}" ${over}`), `shift ${mounts.length}`, 'exec "$0" "$@"'].join(' && ');
  const [command, args] = mounts.length > 0
    ? ['unshare', ['-m', 'sh', '-c', mountScript, options.binary, ...mounts.map(([, file]) => file), ...collectorArgs]]
    : [options.binary, collectorArgs];
  const cgroup = options.cpuLimit ? createCpuCgroup(options.name, options.cpuLimit.cpus) : undefined;
  const env = { ...process.env, ...(options.cpuLimit ? { GOMAXPROCS: String(options.cpuLimit.goMaxProcs) } : {}) };
  const startedAtMs = Date.now();
  const child: ChildProcess = spawn(command, args as string[], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const lines: string[] = [];
  const record = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim() !== ''));
    if (lines.length > OUTPUT_LINES_KEPT) lines.splice(0, lines.length - OUTPUT_LINES_KEPT);
  };
  child.stdout?.on('data', record);
  child.stderr?.on('data', record);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `code ${code ?? 'none'}, signal ${signal ?? 'none'}`;
  });
  const forgetOnExit = onProcessExit(() => child.kill('SIGKILL'));
  const pid = child.pid;
  const cleanup = () => {
    forgetOnExit();
    try {
      cgroup?.remove();
    } catch {
      // The kernel refuses to remove a cgroup for a moment after its last process exits; it is empty and harmless.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  if (pid === undefined) {
    cleanup();
    throw new Error(`cannot start ${command} for collector ${options.name}`);
  }
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let readyAtMs: number | undefined;
  while (Date.now() < deadline && exited === undefined) {
    if (await answers200(options.healthUrl)) {
      readyAtMs = Date.now();
      break;
    }
    await sleep(50);
  }
  if (readyAtMs === undefined) {
    child.kill('SIGKILL');
    cleanup();
    throw new Error(`collector ${options.name} ${exited ? `exited (${exited})` : 'was not ready in time'}:\n${lines.join('\n')}`);
  }
  cgroup?.add(pid);

  let stopped: Promise<void> | undefined;
  const procStat = () => readFileSync(`/proc/${pid}/stat`, 'utf8');
  return {
    name: options.name,
    pid,
    startedAtMs,
    readyAtMs,
    cpuSeconds: () => {
      // Fields after the command name (which may contain spaces): utime is field 14, stime 15.
      const fields = procStat().slice(procStat().lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    },
    rssBytes: () => {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return match ? Number(match[1]) * 1024 : Number.NaN;
    },
    output: () => lines.join('\n'),
    stop: (graceMs = 5000) => {
      stopped ??= (async () => {
        if (exited === undefined) {
          const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await gone;
          clearTimeout(timer);
        }
        await sleep(100);
        cleanup();
      })();
      return stopped;
    },
  };
}
