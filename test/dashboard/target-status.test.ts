// The overview's colour for a tier held at the backend's ceiling: amber while the queues hold, red while
// they overflow and spans are lost, from the real policy's decisions over two polls.
import { describe, expect, it } from 'vitest';
import type { TargetRecord } from '../../src/advisor/decision-log.ts';
import { targetStatus } from '../../src/dashboard/target-views.ts';
import { ceilingHeldBy } from '../../src/policy/backend-ceiling.ts';
import type { Decision } from '../../src/policy/decision.ts';
import { decideEach, settings } from '../policy/policy-fixtures.ts';

const target = settings({ capacitySpansPerReplica: '20000', targetUtilization: '0.7', minReplicas: '2', maxReplicas: '60' });

/** Queues above target at 18 gateways sending 200k spans/s, then at 20 sending `sentAfter` with `enqueueFailed` spans/s overflowing. */
function afterGrowth(enqueueFailed: number, sentAfter = 200_000): Decision {
  const queues = { queueFillMax: 0.58, queueFillMean: 0.55 };
  const decisions = decideEach(target, [
    { ...queues, currentReplicas: 18, sentSpansPerSecond: 200_000, acceptedSpansPerSecond: 204_000, enqueueFailedSpansPerSecond: 0 },
    { ...queues, currentReplicas: 20, sentSpansPerSecond: sentAfter, acceptedSpansPerSecond: sentAfter * 1.02, enqueueFailedSpansPerSecond: enqueueFailed },
  ], 90_000);
  return decisions.at(-1)!;
}

function statusOf(decision: Decision): ReturnType<typeof targetStatus> {
  const record: TargetRecord = { ref: { namespace: 'observability', name: 'gateway' }, origin: 'keda', settings: target, lastSeenMs: decision.at, latest: decision, lastError: undefined };
  return targetStatus(record, decision.at);
}

describe('the overview colour at the backend ceiling', () => {
  it('is red while the tier is held at the ceiling and the queues overflow', () => {
    const losing = afterGrowth(6500);
    expect(ceilingHeldBy(losing)).toEqual({ sentSpansPerSecond: 200_000, fromReplicas: 18 });
    expect(losing.guards.map((guard) => guard.name)).not.toContain('backendBottleneck');
    expect(statusOf(losing)).toBe('critical');
  });

  it('is amber while the tier is held at the ceiling with nothing lost', () => {
    const holding = afterGrowth(0);
    expect(ceilingHeldBy(holding)).toBeDefined();
    expect(statusOf(holding)).toBe('warning');
  });

  it('is blue when gateways added raised the sent rate: no ceiling, the tier grows', () => {
    const growing = afterGrowth(6500, 230_000);
    expect(ceilingHeldBy(growing)).toBeUndefined();
    expect(statusOf(growing)).toBe('scaling');
  });
});
