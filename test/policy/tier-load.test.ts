// The load the proposals size for: the gateways' accepted rate, or the agents' intake where the gateways
// accept more than 1.05 × it while the agents hold a backlog they built.
import { describe, expect, it } from 'vitest';
import { advanceAgentsBacklog, tierLoadOf } from '../../src/policy/agents-backlog.ts';
import { AGENT_SHORTFALL_TOLERANCE } from '../../src/policy/capacity-estimate.ts';
import { decide } from '../../src/policy/decide.ts';
import { readPolicyContext } from '../../src/policy/policy-context.ts';
import type { PolicyState } from '../../src/policy/policy-state.ts';
import { throughputProposal } from '../../src/policy/proposals.ts';
import { settings, snapshot, T0_MS } from './policy-fixtures.ts';

const AGENTS = 100_000;
const HELD = 1e7;

describe('tierLoadOf', () => {
  const cases: { name: string; accepted: number | undefined; offered: number | undefined; held: number | undefined; load: number | undefined; backlog: boolean }[] = [
    { name: 'without the agents read, the gateways accepted rate', accepted: 130_000, offered: undefined, held: undefined, load: 130_000, backlog: false },
    { name: 'gateways taking what the agents take in', accepted: AGENTS, offered: AGENTS, held: HELD, load: AGENTS, backlog: false },
    { name: 'gateways within the tolerance above the agents (scrape timing)', accepted: AGENTS * (1 + AGENT_SHORTFALL_TOLERANCE), offered: AGENTS, held: HELD, load: AGENTS * (1 + AGENT_SHORTFALL_TOLERANCE), backlog: false },
    { name: "gateways draining what the agents hold: the agents' intake", accepted: 190_000, offered: AGENTS, held: HELD, load: AGENTS, backlog: true },
    { name: 'gateways above the agents with nothing held (agents not selected feed them too): the gateways rate', accepted: 190_000, offered: AGENTS, held: 0, load: 190_000, backlog: false },
    { name: 'agents ahead of the gateways (a burst they hold): the gateways rate still', accepted: 80_000, offered: AGENTS, held: HELD, load: 80_000, backlog: false },
    { name: 'no accepted rate: no load, whatever the agents say', accepted: undefined, offered: AGENTS, held: HELD, load: undefined, backlog: false },
  ];
  for (const { name, accepted, offered, held, load, backlog } of cases) {
    it(name, () => {
      const got = tierLoadOf(accepted, offered, held);
      expect(got?.spansPerSecond).toBe(load);
      expect(got?.gatewaysAcceptedSpansPerSecond).toBe(backlog ? accepted : undefined);
    });
  }
});

describe('advanceAgentsBacklog', () => {
  it('grows while the agents run ahead, shrinks by what the gateways take beyond them, never below 0, and holds within the tolerance', () => {
    let backlog = advanceAgentsBacklog(undefined, T0_MS, 80_000, AGENTS);
    expect(backlog).toEqual({ spans: 0, atMs: T0_MS });
    backlog = advanceAgentsBacklog(backlog, T0_MS + 30_000, 80_000, AGENTS);
    expect(backlog?.spans).toBe(20_000 * 30);
    backlog = advanceAgentsBacklog(backlog, T0_MS + 60_000, AGENTS * 1.02, AGENTS);
    expect(backlog?.spans).toBe(20_000 * 30);
    backlog = advanceAgentsBacklog(backlog, T0_MS + 70_000, 130_000, AGENTS);
    expect(backlog?.spans).toBe(20_000 * 30 - 30_000 * 10);
    backlog = advanceAgentsBacklog(backlog, T0_MS + 100_000, 130_000, AGENTS);
    expect(backlog?.spans).toBe(0);
    // The same snapshot again changes nothing; without both rates nothing is known.
    expect(advanceAgentsBacklog({ spans: 5, atMs: T0_MS }, T0_MS, 80_000, AGENTS)?.spans).toBe(5);
    expect(advanceAgentsBacklog({ spans: 5, atMs: T0_MS }, T0_MS + 30_000, 80_000, undefined)).toBeUndefined();
  });
});

describe("the agents' backlog is not sized as load", () => {
  it('the throughput proposal sizes what the agents take in, and says what the gateways accepted', () => {
    const ctx = readPolicyContext(snapshot({ signals: { currentReplicas: 10, acceptedSpansPerSecond: 190_000 }, offered: AGENTS }), settings({ targetUtilization: '0.7' }), T0_MS, { agentsHeldSpans: HELD });
    const outcome = throughputProposal(ctx);
    expect(outcome.proposal.replicas).toBe(Math.ceil(AGENTS / (20_000 * 0.7)));
    expect(outcome.proposal.inputs).toMatchObject({ acceptedSpansPerSecond: 190_000, offeredSpansPerSecond: AGENTS });
    expect(outcome.proposal.reason).toMatch(/^100k spans\/s taken in by the agents \(the gateways accepted 190k spans\/s, the backlog the agents held with it\)/);
  });

  /** decide() over polls 30 s apart at 12 gateways, each poll's gateways' accepted rate against the agents' intake of AGENTS. */
  function recommendations(accepted: readonly number[], agentsRead: boolean): number[] {
    const target = settings({ targetUtilization: '0.7' });
    let state: PolicyState | undefined;
    return accepted.map((rate, i) => {
      const nowMs = T0_MS + i * 30_000;
      const read = snapshot({ observedAtMs: nowMs, signals: { currentReplicas: 12, acceptedSpansPerSecond: rate }, ...(agentsRead ? { offered: AGENTS } : {}) });
      const result = decide({ nowMs, snapshot: read }, target, state);
      state = result.state;
      return result.decision.recommended;
    });
  }

  it('a tier that fell behind and grew is not grown again for the backlog it then takes', () => {
    // Ten minutes at 80 % of the agents' intake hold 12M spans; the gateways then take them at 200k
    // spans/s, twice the agents' intake, for the two minutes that takes.
    const polls = [...Array<number>(20).fill(80_000), ...Array<number>(4).fill(2 * AGENTS), ...Array<number>(6).fill(AGENTS)];
    const withAgents = recommendations(polls, true);
    const gatewaysAlone = recommendations(polls, false);
    const draining = (run: number[]) => Math.max(...run.slice(20, 24));
    expect(draining(gatewaysAlone)).toBeGreaterThan(12);
    expect(draining(withAgents)).toBeLessThanOrEqual(12);
  });

  it('gateways fed by agents the trigger does not select are sized by what they accept', () => {
    // The selected agents take in half of what the gateways accept, and never held anything.
    const polls = Array<number>(20).fill(2 * AGENTS);
    expect(recommendations(polls, true)).toEqual(recommendations(polls, false));
  });
});
