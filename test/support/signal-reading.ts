// A signal a test expects the source to have read: its value, or a failure naming the signal and why it is missing.
import type { SignalName, SignalSnapshot } from '../../src/signals/signal-snapshot.ts';

/** A signal of `snapshot`; a missing one fails the test with its reason. */
export function okSignal(snapshot: SignalSnapshot, name: SignalName): number {
  const reading = snapshot.signals[name];
  if (reading.kind !== 'ok') throw new Error(`${name} missing: ${reading.reason}`);
  return reading.value;
}
