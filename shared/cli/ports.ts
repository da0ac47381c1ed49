import { createServer } from 'node:net';
import { ValidationError } from '../domain/errors.js';

/**
 * Fails fast when `port` is taken, so `osusume start` says so before its pipeline run (~10 s) rather than after.
 * Port 0 (any free port) always passes.
 */
export async function assertPortFree(port: number, option: string, host = '127.0.0.1'): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new ValidationError(
              `port ${port} is already in use: stop what listens there or pass ${option} N (0 = any free port)`,
              option,
            )
          : err,
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
