// Benchmark jobs on worker threads: the parent hands each idle worker the next job and collects the
// results in job order; a worker module answers each job it is sent with serveJobs.
import { parentPort, Worker } from 'node:worker_threads';

type Reply<Result> = { readonly result: Result } | { readonly error: string };

/** Runs `jobs` on `workers` threads of `workerModule` (a module that calls serveJobs); results in job order. */
export async function runOnWorkers<Job, Result>(
  workerModule: URL,
  jobs: readonly Job[],
  workers: number,
  onResult: (result: Result, index: number) => void = () => {},
): Promise<Result[]> {
  const results: Result[] = new Array(jobs.length);
  let next = 0;
  const runOne = (worker: Worker) =>
    new Promise<void>((resolveAll, reject) => {
      const take = () => {
        if (next >= jobs.length) {
          resolveAll();
          return;
        }
        const index = next++;
        worker.once('message', (reply: Reply<Result>) => {
          if ('error' in reply) {
            reject(new Error(reply.error));
            return;
          }
          results[index] = reply.result;
          onResult(reply.result, index);
          take();
        });
        worker.postMessage(jobs[index]);
      };
      worker.once('error', reject);
      take();
    });
  // The worker is TypeScript like this file: it registers tsx's loader in its own thread, then loads.
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(workerModule.href)}); });`;
  const pool = Array.from({ length: Math.min(workers, jobs.length) }, () => new Worker(bootstrap, { eval: true }));
  try {
    await Promise.all(pool.map(runOne));
  } finally {
    await Promise.all(pool.map((worker) => worker.terminate()));
  }
  return results;
}

/** In a worker module: answers each job the parent sends, one at a time; `describe` names a failed job. */
export function serveJobs<Job, Result>(run: (job: Job) => Promise<Result>, describe: (job: Job) => string): void {
  parentPort?.on('message', async (job: Job) => {
    try {
      parentPort?.postMessage({ result: await run(job) } satisfies Reply<Result>);
    } catch (error) {
      parentPort?.postMessage({ error: `${describe(job)}: ${(error as Error).stack ?? error}` } satisfies Reply<Result>);
    }
  });
}
