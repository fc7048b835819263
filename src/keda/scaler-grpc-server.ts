// The gRPC server KEDA talks to: the ExternalScaler service, the health service, optional (m)TLS, and
// a shutdown that stops accepting, lets in-flight calls finish, ends open streams, and forces the rest
// after a deadline so the process can exit within Kubernetes' grace period.
import { Server } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { DecisionLog } from '../advisor/decision-log.ts';
import type { TargetEvaluator } from '../advisor/target-evaluator.ts';
import type { TargetDefaults } from '../config/server-config.ts';
import { type GrpcCallObserver, NO_CALL_OBSERVER } from './call-observer.ts';
import { EvaluationHub } from './evaluation-hub.ts';
import { createExternalScalerService } from './external-scaler-service.ts';
import { createHealthService, HealthStatuses } from './health-service.ts';
import { OpenStreams } from './open-streams.ts';
import { EXTERNAL_SCALER_SERVICE_NAME, externalScalerService, healthService } from './proto.ts';
import { type GrpcTlsFiles, serverCredentialsFrom } from './server-credentials.ts';

/** Longest one evaluation may take by default; main.ts derives it from the Prometheus query timeout. */
export const DEFAULT_EVALUATION_TIMEOUT_MS = 5000;
/** How long stop() lets in-flight calls finish before cutting connections. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 5000;
/**
 * How long stop() keeps serving with health NOT_SERVING before it stops accepting calls: probes and
 * meshes see NOT_SERVING instead of a refused connection, and KEDA's calls on an open connection are
 * still answered while the pod leaves the Service's endpoints. Drain plus grace stay below the part
 * stop grace in cli/shutdown.ts.
 */
export const DEFAULT_SHUTDOWN_DRAIN_MS = 1500;

export interface ScalerGrpcServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests); `start()` resolves with the bound one. */
  readonly port: number;
  readonly tls?: GrpcTlsFiles;
  readonly evaluator: TargetEvaluator;
  readonly decisionLog?: DecisionLog;
  readonly targetDefaults: TargetDefaults;
  /** Configured Prometheus server names, checked by GetMetricSpec without a read. */
  readonly prometheusNames?: readonly string[];
  readonly evaluationTimeoutMs?: number;
  readonly shutdownGraceMs?: number;
  readonly shutdownDrainMs?: number;
  readonly logger: Logger;
  readonly observer?: GrpcCallObserver;
  readonly nowMs?: () => number;
}

/** host:port as gRPC wants it (IPv6 literals in brackets). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

export class ScalerGrpcServer {
  readonly #options: ScalerGrpcServerOptions;
  readonly #server: Server;
  readonly #health = new HealthStatuses();
  readonly #openStreams = new OpenStreams();
  #port: number | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: ScalerGrpcServerOptions) {
    this.#options = options;
    this.#server = new Server();
    const logger = options.logger.child({ component: 'grpc' });
    const hub = new EvaluationHub({
      evaluator: options.evaluator,
      evaluationTimeoutMs: options.evaluationTimeoutMs ?? DEFAULT_EVALUATION_TIMEOUT_MS,
      nowMs: options.nowMs ?? Date.now,
    });
    this.#server.addService(
      externalScalerService().service,
      createExternalScalerService({
        hub,
        ...(options.decisionLog ? { decisionLog: options.decisionLog } : {}),
        targetDefaults: options.targetDefaults,
        ...(options.prometheusNames ? { prometheusNames: options.prometheusNames } : {}),
        openStreams: this.#openStreams,
        observer: options.observer ?? NO_CALL_OBSERVER,
        logger,
      }),
    );
    // Health probes are not KEDA traffic: they stay out of the call metrics.
    this.#server.addService(healthService().service, createHealthService(this.#health, { openStreams: this.#openStreams, observer: NO_CALL_OBSERVER, logger }));
    this.#health.set('', 'NOT_SERVING');
    this.#health.set(EXTERNAL_SCALER_SERVICE_NAME, 'NOT_SERVING');
  }

  /** Binds and starts serving; resolves with `host:port` as bound. Rejects when the port cannot be bound or TLS files are unusable. */
  start(): Promise<string> {
    const { host, port, tls } = this.#options;
    return new Promise((resolve, reject) => {
      // Thrown inside the executor, an unusable TLS file becomes a rejection like a bind failure.
      const credentials = serverCredentialsFrom(tls);
      this.#server.bindAsync(formatHostPort(host, port), credentials, (error, boundPort) => {
        if (error) {
          reject(new Error(`cannot listen for gRPC on ${formatHostPort(host, port)}: ${error.message}`));
          return;
        }
        this.#port = boundPort;
        this.#health.setAll('SERVING');
        resolve(formatHostPort(host, boundPort));
      });
    });
  }

  /** Between a successful start() and stop(): what /readyz reports for gRPC. */
  get serving(): boolean {
    return this.#port !== undefined && this.#stopping === undefined;
  }

  /** The bound port once started. */
  get port(): number | undefined {
    return this.#port;
  }

  /** Open server streams (StreamIsActive, StreamMetricSpec, Watch), for tests and diagnostics. */
  get openStreamCount(): number {
    return this.#openStreams.size;
  }

  /**
   * Reports NOT_SERVING and keeps serving for `shutdownDrainMs`; then ends open streams (clients
   * reconnect elsewhere), stops accepting calls and waits for in-flight ones; after `shutdownGraceMs`
   * cuts whatever is left. Idempotent.
   */
  stop(): Promise<void> {
    this.#health.setAll('NOT_SERVING');
    this.#stopping ??= this.#drain().then(() => this.#shutDown());
    return this.#stopping;
  }

  #drain(): Promise<void> {
    const drainMs = this.#options.shutdownDrainMs ?? DEFAULT_SHUTDOWN_DRAIN_MS;
    return new Promise((resolve) => setTimeout(resolve, drainMs));
  }

  #shutDown(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#openStreams.closeAll();
      const graceMs = this.#options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
      const force = setTimeout(() => {
        this.#options.logger.warn({ component: 'grpc', graceMs }, 'in-flight gRPC calls did not finish in time; closing connections');
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      this.#server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
