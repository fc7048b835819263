// Which simulated pods a scrape finds, for accepted spans per gateway: ring pods share the load
// evenly; ready pods still waiting for the agents' DNS refresh get none yet. The roster keeps, for
// the recorder's whole retention, each change of those pod sets (one entry per change, not per
// step), so a past read is as complete as a live one, as it is with a real Prometheus.
import type { GatewayRoster } from '../signals/simulated-source.ts';
import type { Fleet } from './fleet.ts';
import type { FleetRecorder } from './fleet-recorder.ts';

interface RosterEntry {
  /** Time of the first recorded sample with these pods (ms). */
  readonly fromMs: number;
  readonly ring: readonly string[];
  readonly joining: readonly string[];
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}

/** The pods on the ring and the ready pods not yet on it, from the fleet now. */
function currentPods(fleet: Fleet): { ring: string[]; joining: string[] } {
  const ring: string[] = [];
  const joining: string[] = [];
  for (const pod of fleet.pods()) {
    if (pod.phase === 'ring') ring.push(pod.name);
    else if (pod.phase === 'ready') joining.push(pod.name);
  }
  return { ring, joining };
}

/**
 * A GatewayRoster over `fleet` that follows every sample `recorder` takes from now on (including the
 * one already taken, if any); reads are answered for the scrape the recorder would serve at that time.
 */
export function fleetRoster(fleet: Fleet, recorder: FleetRecorder): GatewayRoster {
  const entries: RosterEntry[] = [];
  // The pod sets read last time, by fleet.podSetVersion and readyReplicas: most steps change neither.
  let seenVersion = -1;
  let seenReady = -1;
  const follow = (sampleMs: number) => {
    const version = fleet.podSetVersion;
    const ready = fleet.readyReplicas;
    if (version === seenVersion && ready === seenReady) return;
    seenVersion = version;
    seenReady = ready;
    const pods = currentPods(fleet);
    const last = entries[entries.length - 1];
    if (last && sameNames(last.ring, pods.ring) && sameNames(last.joining, pods.joining)) return;
    entries.push({ fromMs: sampleMs, ...pods });
    // Entries wholly older than the retained samples can no longer be read.
    const oldestMs = recorder.oldestMs;
    let drop = 0;
    while (oldestMs !== undefined && drop + 1 < entries.length && entries[drop + 1]!.fromMs <= oldestMs) drop++;
    if (drop > 0) entries.splice(0, drop);
  };
  const latest = recorder.latestMs;
  if (latest !== undefined) follow(latest);
  recorder.onRecord(follow);
  return {
    gatewaysAt(timeMs) {
      const scrapeMs = recorder.scrapeTimeMs(timeMs);
      if (scrapeMs === undefined) return undefined;
      let low = 0;
      let high = entries.length - 1;
      let found: RosterEntry | undefined;
      while (low <= high) {
        const middle = (low + high) >> 1;
        const entry = entries[middle]!;
        if (entry.fromMs <= scrapeMs) {
          found = entry;
          low = middle + 1;
        } else high = middle - 1;
      }
      return found && { ring: found.ring, joining: found.joining };
    },
  };
}
