// Test servers listen on 127.0.0.1 only; a process that needs its port before it starts (Prometheus)
// asks the kernel for one that is free right now.
import { createServer } from 'node:net';

/**
 * Ports this process has handed out. A port is released as soon as it is read, so the kernel may hand
 * it out again before its user binds it: two processes a test starts would then race for one port.
 */
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that was free a moment ago and that this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await kernelPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Bind to port 0, read the port the kernel assigned, release it. */
function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port the kernel assigned'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
