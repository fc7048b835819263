// KEDA always fills name and namespace; a request without them is not from KEDA and gets
// INVALID_ARGUMENT instead of creating state under an empty key.
import { ScalerError } from '../errors.ts';
import type { TargetRef } from '../signals/signal-snapshot.ts';
import type { ScaledObjectRefMessage } from './proto.ts';

/** The target a ScaledObjectRef names; throws ScalerError BAD_REQUEST naming the empty field. */
export function targetOf(ref: ScaledObjectRefMessage | null | undefined, field = 'ScaledObjectRef'): TargetRef {
  if (!ref) throw new ScalerError('BAD_REQUEST', `${field} is missing`);
  if (!ref.namespace) throw new ScalerError('BAD_REQUEST', `${field}.namespace is empty`);
  if (!ref.name) throw new ScalerError('BAD_REQUEST', `${field}.name is empty`);
  return { namespace: ref.namespace, name: ref.name };
}

/** `namespace/name` of a possibly incomplete ref, for log lines. */
export function describeRef(ref: ScaledObjectRefMessage | null | undefined): string {
  return `${ref?.namespace || '?'}/${ref?.name || '?'}`;
}
