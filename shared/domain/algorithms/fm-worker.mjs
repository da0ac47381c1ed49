// Worker entry of fm-workers.ts, plain JS so it always starts: it loads the job module and reports
// "unavailable" when it cannot.
import { workerData } from 'node:worker_threads';
import { loadJob, signalling } from './worker-entry.mjs';

const { jobs, port, signal } = workerData;
const bump = signalling(signal);
const { job, error } = await loadJob('fm-worker-job', import.meta.url);
if (job) job.runJobs(workerData, bump);
else {
  for (const j of jobs) port.postMessage({ member: j.member, error, unavailable: true });
  bump();
}
port.close();
