// KEDA always fills name and namespace; a request without them is not from KEDA and gets
// INVALID_ARGUMENT instead of creating state under an empty key.
import { echoValue, ScalerError } from '../errors.ts';
import type { TargetRef } from '../signals/signal-snapshot.ts';
import type { ScaledObjectRefMessage } from './proto.ts';

/** Longest object name Kubernetes accepts (DNS subdomain); a longer one is not from KEDA. */
const KUBERNETES_NAME_MAX_CHARACTERS = 253;

/** The target a ScaledObjectRef names; throws ScalerError BAD_REQUEST naming the empty field. */
export function targetOf(ref: ScaledObjectRefMessage | null | undefined, field = 'ScaledObjectRef'): TargetRef {
  if (!ref) throw new ScalerError('BAD_REQUEST', `${field} is missing`);
  if (!ref.namespace) throw new ScalerError('BAD_REQUEST', `${field}.namespace is empty`);
  if (!ref.name) throw new ScalerError('BAD_REQUEST', `${field}.name is empty`);
  for (const key of ['namespace', 'name'] as const) {
    if (ref[key].length > KUBERNETES_NAME_MAX_CHARACTERS) {
      throw new ScalerError('BAD_REQUEST', `${field}.${key} is ${ref[key].length} characters; Kubernetes names have at most ${KUBERNETES_NAME_MAX_CHARACTERS}`);
    }
  }
  return { namespace: ref.namespace, name: ref.name };
}

/** `namespace/name` of a possibly incomplete ref, for log lines. */
export function describeRef(ref: ScaledObjectRefMessage | null | undefined): string {
  return `${echoValue(ref?.namespace || '?')}/${echoValue(ref?.name || '?')}`;
}
