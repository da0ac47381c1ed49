// Runs dynalite on its own thread so that the embedded DynamoDB does not compete with the API
// handlers for the main event loop (on AWS, DynamoDB is another machine altogether).
import { parentPort, workerData } from 'node:worker_threads';
import { createDynalite } from './dynalite-instance.mjs';

const server = createDynalite(workerData.dbPath);
server.once('error', (err) => parentPort.postMessage({ error: String(err) }));
server.listen(workerData.port ?? 0, '127.0.0.1', () => {
  parentPort.postMessage({ port: server.address().port });
});
parentPort.on('message', (msg) => {
  if (msg === 'stop') {
    server.close(() => parentPort.postMessage({ stopped: true }));
    server.closeIdleConnections();
  }
});
