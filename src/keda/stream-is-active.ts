// StreamIsActive (KEDA trigger type `external-push`): the current activity at once, then every change.
// Changes are noticed three ways: a re-evaluation every pollingInterval of the target, any evaluation
// of the same target through this service (KEDA's polls), and — when a DecisionLog is given — every
// decision recorded for the target elsewhere (the advisory loop), read with the policy's own
// isActive so no extra evaluation runs. The stream owns no state beyond its timer and subscriptions,
// and the shared stream life cycle removes them however it ends.
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { DecisionLog } from '../advisor/decision-log.ts';
import type { TargetSettings } from '../config/target-metadata.ts';
import { isActive } from '../policy/is-active.ts';
import { type TargetRef, targetKey } from '../signals/signal-snapshot.ts';
import type { EvaluationHub } from './evaluation-hub.ts';
import type { IsActiveResponseMessage, ScaledObjectRefMessage } from './proto.ts';
import { describeRef, targetOf } from './scaled-object-ref.ts';
import { openServerStream, type ServerStreamDeps } from './server-stream.ts';

export interface StreamIsActiveDeps extends ServerStreamDeps {
  readonly hub: EvaluationHub;
  readonly decisionLog?: DecisionLog;
  /** Validates the metadata up front (bad metadata ends the stream with INVALID_ARGUMENT at once). */
  readonly settingsOf: (ref: ScaledObjectRefMessage) => TargetSettings;
}

export function serveStreamIsActive(call: ServerWritableStream<ScaledObjectRefMessage, IsActiveResponseMessage>, deps: StreamIsActiveDeps): void {
  const context = { target: describeRef(call.request) };
  const stream = openServerStream(call, 'StreamIsActive', deps, context);
  if (stream.ended) return;
  let target: TargetRef;
  let settings: TargetSettings;
  try {
    target = targetOf(call.request);
    settings = deps.settingsOf(call.request);
  } catch (error) {
    stream.fail(error);
    return;
  }
  const metadata = call.request.scalerMetadata ?? {};
  let lastSent: boolean | undefined;
  let refreshing = false;

  const publish = (active: boolean) => {
    if (stream.ended || active === lastSent) return;
    lastSent = active;
    stream.send({ result: active });
  };

  const refresh = async () => {
    if (refreshing || stream.ended) return;
    refreshing = true;
    try {
      // The result arrives through the hub subscription below, like every other evaluation of the target.
      await deps.hub.evaluate(target, metadata);
    } catch (error) {
      // Without a first answer the stream is useless: end it so KEDA reconnects with backoff. Later
      // failures keep the last state (never flip to inactive on missing data) and retry next interval.
      if (lastSent === undefined) stream.fail(error);
      else deps.logger.warn({ ...context, err: error }, 'StreamIsActive re-evaluation failed; keeping the last state');
    } finally {
      refreshing = false;
    }
  };

  stream.onEnd(deps.hub.subscribe(target, (evaluation) => publish(evaluation.active)));
  const timer = setInterval(() => void refresh(), settings.pollingIntervalSeconds * 1000);
  stream.onEnd(() => clearInterval(timer));
  if (deps.decisionLog) {
    const key = targetKey(target);
    const unsubscribe = deps.decisionLog.onDecision((record, decision) => {
      if (targetKey(record.ref) === key) publish(isActive(decision, record.settings));
    });
    stream.onEnd(unsubscribe);
  }
  void refresh();
}
