// Worker entry of evaluation-pool.ts, plain JS so it always starts: it loads the job module and answers
// every evaluation with an error when it cannot (the pool then ranks its share in the calling thread).
import { workerData } from 'node:worker_threads';
import { loadJob, signalling } from '../worker-entry.mjs';

const { data, port, signal } = workerData;
const bump = signalling(signal);
const { job, error } = await loadJob('evaluation-job', import.meta.url);
port.on('message', (request) => {
  if (job) job.answer(data, request, port);
  else port.postMessage({ id: request.id, error });
  bump();
});
