// One worker thread of bench:matrix: runs the cells it is sent, one at a time, and posts each back.
import { type MatrixJob, runMatrixCell } from './bench-matrix-cli.ts';
import { serveJobs } from './worker-pool.ts';

serveJobs((job: MatrixJob) => runMatrixCell(job), (job) => `${job.tracePath} ${job.condition.name}`);
