// Starts the real gRPC server on 127.0.0.1 and a free port, with a silent logger unless a test
// needs to read the log.
import { pino } from 'pino';
import { ScalerGrpcServer, type ScalerGrpcServerOptions } from '../../../src/keda/scaler-grpc-server.ts';

export interface StartedScaler {
  readonly server: ScalerGrpcServer;
  readonly address: string;
}

export async function startScaler(options: Partial<ScalerGrpcServerOptions> & Pick<ScalerGrpcServerOptions, 'evaluator'>): Promise<StartedScaler> {
  // No drain unless a test asks: the drain is tested on its own, other tests need not wait for it.
  const server = new ScalerGrpcServer({ host: '127.0.0.1', port: 0, targetDefaults: {}, logger: pino({ level: 'silent' }), shutdownDrainMs: 0, ...options });
  const address = await server.start();
  return { server, address };
}

/** Polls `condition` every 10 ms; throws with `what` after `timeoutMs`. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
