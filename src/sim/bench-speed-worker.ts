// One worker thread of bench:speed --workers: simulates the autoscalers it is sent, one at a time.
import { runSpeedJob, type SpeedJob } from './bench-speed.ts';
import { serveJobs } from './worker-pool.ts';

serveJobs((job: SpeedJob) => runSpeedJob(job), (job) => job.autoscaler);
