// What `decide` is given besides the target's settings and its previous state. Signals come from
// signals/; forecast and calendar are filled by forecasting/ through the advisor's hooks. Every part
// but the snapshot is optional, so a target without a forecast is decided on its signals alone.
import type { BackendCeiling } from './backend-ceiling.ts';
import type { FellBehind } from './earlier-peaks.ts';
import type { CapacityEstimate } from './capacity-estimate.ts';
import type { ForecastUse } from './decision.ts';
import type { RingSpread } from './ring-spread.ts';
import type { ReresolveEstimate } from './reresolve-estimate.ts';
import type { StartupEstimate } from './startup-estimate.ts';
import type { SignalSnapshot } from '../signals/signal-snapshot.ts';

/**
 * The forecast band at now + lead time (`startupInUse(…).leadTimeSeconds`, policy/startup-in-use.ts),
 * or why there is none. `unavailable` is a normal state (too little history, refit failed): the
 * forecast proposal is left out and the decision says why; it is never an error.
 * The band must be the seasonal load alone: a calendar window's `loadMultiplier` is applied by the
 * calendar proposal, so a forecast that already includes an event must not also be paired with it.
 */
export type ForecastInput =
  | { readonly kind: 'available'; readonly band: ForecastUse }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** One calendar window active at `nowMs` (server config `calendar:`), already matched to this target. */
export interface ActiveCalendarWindow {
  readonly name: string;
  /** Replicas to keep at least while the window is active. */
  readonly minReplicas?: number;
  /**
   * Expected load during the window relative to the usual load: applied to the forecast's point value
   * when a forecast is available, else to the current accepted spans/s.
   */
  readonly loadMultiplier?: number;
}

/** Calendar windows active now; an empty list means none is. */
export interface CalendarInput {
  readonly activeWindows: readonly ActiveCalendarWindow[];
}

/** Everything one decision reads, gathered by the caller; `nowMs` is the evaluation time (no clock inside). */
export interface DecideInput {
  readonly nowMs: number;
  readonly snapshot: SignalSnapshot;
  readonly forecast?: ForecastInput;
  readonly calendar?: CalendarInput;
  /**
   * What the gateways' CPU says about capacity per replica (signals/ reads it with range queries);
   * undefined when it was not read, and then the trigger's capacitySpansPerReplica is used.
   */
  readonly capacity?: CapacityEstimate;
  /** What scale-outs say about pod startup (signals/ reads it); undefined = not read, the trigger's podStartup is used. */
  readonly startup?: StartupEstimate;
  /** What scale-ins say about the agents' re-resolve (signals/ reads it); undefined = not read, the trigger's dnsResolverInterval + dnsTtl is used. */
  readonly reresolve?: ReresolveEstimate;
  /**
   * What the ring's last change of size did to the busiest gateway's share (signals/ reads it); undefined
   * = not read, and a hot spot of ROUTING_IMBALANCE_RATIO is then treated as one more gateways do not spread.
   */
  readonly ringSpread?: RingSpread;
  /**
   * The sent rate an earlier peak showed the backend takes no more than (signals/ reads the scaler's own
   * decision series); undefined = none within a week, and the queue proposal finds it out again.
   */
  readonly backendCeiling?: BackendCeiling;
  /**
   * The per-gateway load at which an earlier peak showed the gateways falling behind (signals/ reads the
   * scaler's own exported series); undefined = none within a week.
   */
  readonly fellBehind?: FellBehind;
}
