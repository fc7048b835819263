// One worker thread of bench:matrix: runs the cells it is sent, one at a time, and posts each back.
import { parentPort } from 'node:worker_threads';
import { type MatrixJob, runMatrixCell } from './bench-matrix-cli.ts';

parentPort?.on('message', async (job: MatrixJob) => {
  try {
    parentPort?.postMessage({ cell: await runMatrixCell(job) });
  } catch (error) {
    parentPort?.postMessage({ error: `${job.tracePath} ${job.condition.name}: ${(error as Error).stack ?? error}` });
  }
});
