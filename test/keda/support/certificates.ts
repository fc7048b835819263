// Test certificates made with the openssl CLI at test time: a CA, a server certificate for
// 127.0.0.1/localhost, a client certificate from the same CA, and one from an unrelated CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL = process.env.OPENSSL_BINARY ?? '/usr/bin/openssl';

export interface TestCertificates {
  readonly dir: string;
  /** File paths, as the server config names them. */
  readonly files: { readonly caCert: string; readonly serverCert: string; readonly serverKey: string };
  /** PEM contents, as a client (KEDA's TriggerAuthentication) holds them. */
  readonly pem: {
    readonly caCert: Buffer;
    readonly clientCert: Buffer;
    readonly clientKey: Buffer;
    readonly strangerCert: Buffer;
    readonly strangerKey: Buffer;
  };
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync(OPENSSL, args, { cwd: dir, stdio: 'pipe' });
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function selfSignedCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', `/CN=${name}`]);
}

function signedBy(dir: string, ca: string, name: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['req', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`]);
}

export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'scaler-tls-'));
  selfSignedCa(dir, 'ca');
  selfSignedCa(dir, 'stranger-ca');
  signedBy(dir, 'ca', 'server', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  signedBy(dir, 'ca', 'keda', 'extendedKeyUsage=clientAuth\n');
  signedBy(dir, 'stranger-ca', 'stranger', 'extendedKeyUsage=clientAuth\n');
  const read = (name: string) => readFileSync(join(dir, name));
  return {
    dir,
    files: { caCert: join(dir, 'ca.crt'), serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key') },
    pem: {
      caCert: read('ca.crt'),
      clientCert: read('keda.crt'),
      clientKey: read('keda.key'),
      strangerCert: read('stranger.crt'),
      strangerKey: read('stranger.key'),
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
