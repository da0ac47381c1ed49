// Worker entry of fm-workers.ts, plain JS so it always starts: it loads the job module (compiled .js, or
// the .ts source through tsx) and reports "unavailable" when neither loads.
import { workerData } from 'node:worker_threads';

const { jobs, port, signal } = workerData;
const bump = () => {
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
};
process.on('exit', () => {
  Atomics.add(signal, 1, 1);
  bump();
});

let job;
try {
  job = await import('./fm-worker-job.js');
} catch {
  try {
    // running from TypeScript sources (tsx, vitest): loader hooks do not reach workers, so load via tsx
    const { tsImport } = await import('tsx/esm/api');
    job = await tsImport('./fm-worker-job.ts', import.meta.url);
  } catch (err) {
    for (const j of jobs) port.postMessage({ member: j.member, error: String(err), unavailable: true });
    bump();
  }
}
if (job) job.runJobs(workerData, bump);
port.close();
