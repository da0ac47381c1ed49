import type { Server } from 'node:http';

/** The abstract-level modules dynalite's stores are built on. */
export function dynaliteAbstractLevels(): Array<{
  AbstractLevel: abstract new (...args: never[]) => object;
  AbstractIterator: abstract new (...args: never[]) => object;
  AbstractKeyIterator: abstract new (...args: never[]) => object;
  AbstractValueIterator: abstract new (...args: never[]) => object;
}>;

/** A dynalite server (not listening yet) with instant table states, on disk under `dbPath` or in memory. */
export function createDynalite(dbPath: string | undefined): Server;
