// Plain, TLS or mutual TLS for the gRPC port, from PEM files (mounted Secrets). With a client CA the
// server requires a client certificate signed by it — what KEDA presents when its trigger uses a
// TriggerAuthentication with tlsClientCert/tlsClientKey.
import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import { ScalerError } from '../errors.ts';

export interface GrpcTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile?: string;
}

function readPem(field: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ScalerError('INVALID_SERVER_CONFIG', `grpc.tls.${field}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Insecure credentials without `tls`; TLS with it; mTLS when `clientCaFile` is set. Throws INVALID_SERVER_CONFIG naming the field. */
export function serverCredentialsFrom(tls: GrpcTlsFiles | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const certChain = readPem('certFile', tls.certFile);
  const privateKey = readPem('keyFile', tls.keyFile);
  const clientCa = tls.clientCaFile === undefined ? null : readPem('clientCaFile', tls.clientCaFile);
  try {
    return ServerCredentials.createSsl(clientCa, [{ cert_chain: certChain, private_key: privateKey }], clientCa !== null);
  } catch (error) {
    throw new ScalerError('INVALID_SERVER_CONFIG', `grpc.tls: the certificate files are not usable PEM: ${(error as Error).message}`);
  }
}
