// Runs dynalite on its own thread so that the embedded DynamoDB does not compete with the API
// handlers for the main event loop (on AWS, DynamoDB is another machine altogether).
import { EventEmitter } from 'node:events';
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

/**
 * Requests of this process's SDK clients arrive on `workerData.requests` (dynalite-transport.ts) and go to
 * dynalite's own request handler, as the HTTP server would pass them, without a socket: the request is an
 * emitter of its body, the response collects what the handler sets and ends with.
 * @param {import('node:worker_threads').MessagePort} port
 */
function serveOverPort(port) {
  port.on('message', (m) => {
    const req = Object.assign(new EventEmitter(), { method: m.method, url: m.url, headers: m.headers });
    const headers = {};
    const res = {
      statusCode: 200,
      setHeader(name, value) {
        headers[name.toLowerCase()] = String(value);
      },
      end(body) {
        port.postMessage({ id: m.id, statusCode: res.statusCode, headers, body: body ? String(body) : '' });
      },
    };
    server.emit('request', req, res);
    if (m.body.length > 0) req.emit('data', Buffer.from(m.body));
    req.emit('end');
  });
}
if (workerData.requests) serveOverPort(workerData.requests);
