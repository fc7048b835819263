import { join } from 'node:path';
import { credentials, type ServiceError, status } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ScalerError } from '../../src/errors.ts';
import { type TestCertificates, makeCertificates } from './support/certificates.ts';
import { healthClient, scalerClient } from './support/grpc-client.ts';
import { ScriptedEvaluator } from './support/scripted-evaluator.ts';
import { type StartedScaler, startScaler } from './support/start-scaler.ts';

const REF = { namespace: 'observability', name: 'otel-gateway', scalerMetadata: { gatewaySelector: 'job="otel-gateway"' } };
// Fail fast instead of retrying a handshake that cannot succeed.
const NO_WAIT = { 'grpc.initial_reconnect_backoff_ms': 50, 'grpc.max_reconnect_backoff_ms': 50 };

async function outcome(call: Promise<unknown>): Promise<'ok' | status> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    return (error as ServiceError).code;
  }
}

describe('TLS and mTLS on the gRPC port', () => {
  let certs: TestCertificates;
  let scaler: StartedScaler | undefined;
  const closers: (() => void)[] = [];
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs.remove());
  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await scaler?.server.stop();
    scaler = undefined;
  });

  function client(channelCredentials: ReturnType<typeof credentials.createInsecure>) {
    const created = scalerClient(scaler!.address, channelCredentials, NO_WAIT);
    closers.push(created.close);
    return created;
  }

  describe('TLS (server certificate only)', () => {
    it('serves a client that trusts the CA, rpcs and health alike', async () => {
      scaler = await startScaler({ evaluator: new ScriptedEvaluator(), tls: { certFile: certs.files.serverCert, keyFile: certs.files.serverKey } });
      const trusted = credentials.createSsl(certs.pem.caCert);
      expect(await outcome(client(trusted).getMetricSpec(REF))).toBe('ok');
      const health = healthClient(scaler.address, trusted);
      closers.push(health.close);
      expect(await health.check('')).toEqual({ status: 'SERVING' });
    });

    it('refuses a plaintext client', async () => {
      scaler = await startScaler({ evaluator: new ScriptedEvaluator(), tls: { certFile: certs.files.serverCert, keyFile: certs.files.serverKey } });
      expect(await outcome(client(credentials.createInsecure()).getMetricSpec(REF))).toBe(status.UNAVAILABLE);
    });
  });

  describe('mTLS (client CA set)', () => {
    const mtls = () => ({ certFile: certs.files.serverCert, keyFile: certs.files.serverKey, clientCaFile: certs.files.caCert });
    const cases: { name: string; input: () => ReturnType<typeof credentials.createSsl>; want: 'ok' | status }[] = [
      { name: 'accepts a client certificate signed by the client CA', input: () => credentials.createSsl(certs.pem.caCert, certs.pem.clientKey, certs.pem.clientCert), want: 'ok' },
      { name: 'refuses a client without a certificate', input: () => credentials.createSsl(certs.pem.caCert), want: status.UNAVAILABLE },
      {
        name: 'refuses a client certificate from another CA',
        input: () => credentials.createSsl(certs.pem.caCert, certs.pem.strangerKey, certs.pem.strangerCert),
        want: status.UNAVAILABLE,
      },
    ];
    for (const row of cases) {
      it(row.name, async () => {
        scaler = await startScaler({ evaluator: new ScriptedEvaluator(), tls: mtls() });
        expect(await outcome(client(row.input()).getMetricSpec(REF))).toBe(row.want);
      });
    }
  });

  it('names the TLS field whose file cannot be read', async () => {
    const started = startScaler({ evaluator: new ScriptedEvaluator(), tls: { certFile: certs.files.serverCert, keyFile: join(certs.dir, 'missing.key') } });
    await expect(started).rejects.toThrow(ScalerError);
    await expect(started).rejects.toThrow(/grpc\.tls\.keyFile: cannot read .*missing\.key/);
  });
});
