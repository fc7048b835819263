// Which simulated pods a scrape finds, for accepted spans per gateway: ring pods share the load
// evenly; ready pods still waiting for the agents' DNS refresh get none yet. Only the newest scrape
// knows its pods; older reads have no per-gateway data (the simulator keeps no per-pod history).
import type { GatewayRoster } from '../signals/simulated-source.ts';
import type { Fleet } from './fleet.ts';
import type { FleetRecorder } from './fleet-recorder.ts';

export function fleetRoster(fleet: Fleet, recorder: FleetRecorder): GatewayRoster {
  return {
    gatewaysAt(timeMs) {
      const latest = recorder.latestMs;
      if (latest === undefined || recorder.scrapeTimeMs(timeMs) !== recorder.scrapeTimeMs(latest)) return undefined;
      const ring: string[] = [];
      const joining: string[] = [];
      for (const pod of fleet.pods()) {
        if (pod.phase === 'ring') ring.push(pod.name);
        else if (pod.phase === 'ready') joining.push(pod.name);
      }
      return { ring, joining };
    },
  };
}
