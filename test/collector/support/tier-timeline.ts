// Once a second, what the load generator and the backend sink have counted, so a test can compute
// their rates over exactly the window a Prometheus rate() covers.
import type { BackendSink } from './backend-sink.ts';
import type { LoadGenerator } from './load-generator.ts';

interface Point {
  readonly atMs: number;
  readonly generatorSentSpans: number;
  readonly sinkAcceptedSpans: number;
}

export interface TierTimeline {
  /** Spans/s between `windowSeconds` ago and now, from the nearest recorded points. */
  rates(windowSeconds: number): { readonly generatorSpansPerSecond: number; readonly sinkSpansPerSecond: number };
  stop(): void;
}

/** Samples for at most `maxSeconds` (bounded), then stops by itself. */
export function startTierTimeline(load: LoadGenerator, sink: BackendSink, maxSeconds = 900): TierTimeline {
  const points: Point[] = [];
  const sample = () => points.push({ atMs: Date.now(), generatorSentSpans: load.sentSpans(), sinkAcceptedSpans: sink.acceptedSpans() });
  sample();
  const timer = setInterval(() => {
    sample();
    if (points.length > maxSeconds) clearInterval(timer);
  }, 1000);
  return {
    rates: (windowSeconds) => {
      sample();
      const last = points.at(-1)!;
      const wanted = last.atMs - windowSeconds * 1000;
      const first = points.reduce((best, point) => (Math.abs(point.atMs - wanted) < Math.abs(best.atMs - wanted) ? point : best));
      const seconds = (last.atMs - first.atMs) / 1000;
      if (seconds <= 0) throw new Error('the timeline has no window yet');
      return {
        generatorSpansPerSecond: (last.generatorSentSpans - first.generatorSentSpans) / seconds,
        sinkSpansPerSecond: (last.sinkAcceptedSpans - first.sinkAcceptedSpans) / seconds,
      };
    },
    stop: () => clearInterval(timer),
  };
}
