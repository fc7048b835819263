// /readyz: the caller (main.ts) lists what "ready" means — config loaded, gRPC serving, Prometheus
// reachable — and each check answers for itself. The dashboard only runs them, bounded in time.

/** Outcome of one readiness check; `reason` says what is wrong in words an operator can act on. */
export type ReadinessResult = { readonly kind: 'ready' } | { readonly kind: 'not-ready'; readonly reason: string };

export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<ReadinessResult> | ReadinessResult;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: readonly ({ readonly name: string } & ReadinessResult)[];
}

/** A check slower than this counts as not ready; kubelet's default probe timeout is 1 s. */
export const READINESS_CHECK_TIMEOUT_MS = 900;

async function runOne(check: ReadinessCheck, timeoutMs: number): Promise<ReadinessResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessResult>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'not-ready', reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => check.check()), timeout]);
  } catch (error) {
    return { kind: 'not-ready', reason: (error as Error).message ?? String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check in parallel; ready only when all are. */
export async function runReadiness(checks: readonly ReadinessCheck[], timeoutMs = READINESS_CHECK_TIMEOUT_MS): Promise<ReadinessReport> {
  const results = await Promise.all(checks.map(async (check) => ({ name: check.name, ...(await runOne(check, timeoutMs)) })));
  return { ready: results.every((result) => result.kind === 'ready'), checks: results };
}
