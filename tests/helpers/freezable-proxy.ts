import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a DynamoDB endpoint that can be frozen: while frozen it still accepts
 * connections and reads requests but forwards nothing and answers nothing, on new and already open
 * (keep-alive) sockets alike. That is a hanging DynamoDB as a client sees it, over real sockets.
 * Without an upstream it is frozen for good.
 */
export async function startFreezableProxy(upstream?: string) {
  let frozen = upstream === undefined;
  const sockets = new Set<Socket>();
  const target = upstream ? new URL(upstream) : undefined;
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (!target) return; // swallow everything
    const up = connect(Number(target.port), target.hostname);
    sockets.add(up);
    up.on('close', () => {
      sockets.delete(up);
      client.destroy();
    });
    up.on('error', () => client.destroy());
    client.on('close', () => up.destroy());
    client.on('data', (chunk) => {
      if (!frozen) up.write(chunk);
    });
    up.on('data', (chunk) => {
      if (!frozen) client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = upstream === undefined;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
