// Four gateway tiers with six hours of history, for the browser test and the screenshots in docs/:
// a tier following a morning ramp (scaling), a dry-run tier whose backend started failing (holding),
// a steady tier, and a large tier whose load asks for one more replica than it runs, a change the HPA
// ignores (holding inside its ±10%). Evaluated by the real Advisor every minute up to NOW_MS.
import { NOW_MS, type TestTarget } from './dashboard-fixture.ts';

const HOUR_MS = 3_600_000;

/** Replicas the gateways ran: what 70 % of 20k spans/s per replica needed ten minutes earlier (an HPA a bit behind). */
function laggingReplicas(load: (atMs: number) => number, atMs: number): number {
  return Math.max(2, Math.ceil(load(atMs - 600_000) / 14_000));
}

const rampLoad = (atMs: number) => {
  const hours = (atMs - (NOW_MS - 6 * HOUR_MS)) / HOUR_MS;
  return 60_000 + 110_000 / (1 + Math.exp(-(hours - 5.6) * 2.5)) + 6000 * Math.sin(hours * 5);
};

const steadyLoad = (atMs: number) => 42_000 + 3000 * Math.sin((atMs / HOUR_MS) * 3);

export const DEMO_TIERS: readonly TestTarget[] = [
  {
    ref: { namespace: 'observability', name: 'otel-gateway' },
    origin: 'keda',
    metadata: { gatewaySelector: 'job="otel-gateway",namespace="observability"', minReplicas: '2', maxReplicas: '60' },
    script: (atMs) => {
      const replicas = laggingReplicas(rampLoad, atMs);
      const load = rampLoad(atMs);
      return { acceptedSpansPerSecond: load, replicas, queueFill: Math.min(0.95, Math.max(0.02, (load / (replicas * 20_000) - 0.55) * 1.6)) };
    },
  },
  {
    ref: { namespace: 'observability', name: 'otel-gateway-canary' },
    origin: 'advisory',
    metadata: { gatewaySelector: 'job="otel-gateway-canary"', mode: 'dry-run', minReplicas: '2', maxReplicas: '20' },
    // The backend has rejected a quarter of the sends for the last 25 minutes; queues fill up.
    script: (atMs) => {
      const failing = atMs > NOW_MS - 25 * 60_000;
      return { acceptedSpansPerSecond: 30_000, replicas: 3, queueFill: failing ? 0.85 : 0.15, sendFailedRatio: failing ? 0.25 : 0.001 };
    },
  },
  {
    ref: { namespace: 'payments', name: 'otel-gateway' },
    origin: 'keda',
    metadata: { gatewaySelector: 'job="otel-gateway",namespace="payments"', minReplicas: '2', maxReplicas: '12' },
    script: (atMs) => ({ acceptedSpansPerSecond: steadyLoad(atMs), replicas: 4, queueFill: 0.12 }),
  },
  {
    ref: { namespace: 'search', name: 'otel-gateway' },
    origin: 'keda',
    metadata: { gatewaySelector: 'job="otel-gateway",namespace="search"', minReplicas: '2', maxReplicas: '60' },
    // 290k spans/s needs 21 replicas at 70 % of 20k; 21 is within 10 % of the 20 running.
    script: () => ({ acceptedSpansPerSecond: 290_000, replicas: 20, queueFill: 0.1 }),
  },
];
