// Child processes a test starts must not outlive it, however the test process ends. One 'exit'
// listener runs every registered cleanup: a listener per child passes Node's limit of ten once a
// collector tier's gateways, agents and Prometheus run at once.

const cleanups = new Set<() => void>();
let listening = false;

function runCleanups(): void {
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // Exiting anyway: one failed kill or removal must not keep the others from running.
    }
  }
}

/** Runs `cleanup` when the process exits, unless the returned function is called first. */
export function onProcessExit(cleanup: () => void): () => void {
  if (!listening) {
    process.once('exit', runCleanups);
    listening = true;
  }
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}
