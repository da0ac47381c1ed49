// Worker entry of evaluation-pool.ts, plain JS so it always starts: it loads the job module (compiled .js,
// or the .ts source through tsx) and answers every evaluation with an error when neither loads (the pool
// then ranks its share in the calling thread).
import { workerData } from 'node:worker_threads';

const { data, port, signal } = workerData;
const bump = () => {
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
};
process.on('exit', () => {
  Atomics.add(signal, 1, 1);
  bump();
});

let job;
let loadError;
try {
  job = await import('./evaluation-job.js');
} catch {
  try {
    // running from TypeScript sources (tsx, vitest): loader hooks do not reach workers, so load via tsx
    const { tsImport } = await import('tsx/esm/api');
    job = await tsImport('./evaluation-job.ts', import.meta.url);
  } catch (err) {
    loadError = String(err);
  }
}
port.on('message', (request) => {
  if (job) job.answer(data, request, port);
  else port.postMessage({ id: request.id, error: loadError });
  bump();
});
