// The one place dynalite is created, for the worker thread `osusume start` uses and for the in-process server
// the tests use. Plain JavaScript: the worker thread runs without the TypeScript loader.
import { createRequire } from 'node:module';
import dynalite from 'dynalite';

const require = createRequire(import.meta.url);

/**
 * The abstract-level copies dynalite's stores are built on (with a path: level -> classic-level, on disk;
 * without: memory-level).
 */
export function dynaliteAbstractLevels() {
  const fromDynalite = createRequire(require.resolve('dynalite'));
  const stores = [
    createRequire(createRequire(fromDynalite.resolve('level')).resolve('classic-level')),
    createRequire(fromDynalite.resolve('memory-level')),
  ];
  return [...new Set(stores.map((r) => r('abstract-level')))];
}

/**
 * dynalite 4.0.0 wraps each store iterator in a stream whose destroy() closes it with `iterator.return()`, which
 * abstract-level 3 iterators lack (they have close()). So every Query and Scan left its iterator open, attached
 * to the database for the life of the process; an open LevelDB iterator holds the memtable and table files of
 * its moment, so with writes going on (impression flushes of 500-item lists) the embedded DynamoDB held
 * everything ever written in native memory: 161 MB -> 2 GB RSS over 24k requests. Idempotent.
 */
function closeIteratorsOnReturn() {
  for (const level of dynaliteAbstractLevels()) {
    for (const Iterator of [level.AbstractIterator, level.AbstractKeyIterator, level.AbstractValueIterator]) {
      if (Object.hasOwn(Iterator.prototype, 'return')) continue;
      Object.defineProperty(Iterator.prototype, 'return', {
        configurable: true,
        writable: true,
        async value() {
          await this.close();
          return { done: true, value: undefined };
        },
      });
    }
  }
}

/**
 * dynalite reads a table's description from its store on every request (GetItem, PutItem, Query, ...): one
 * LevelDB read, decoded from JSON, before the item work, a third of its store reads on the request path. The
 * descriptions change only by CreateTable / UpdateTable / DeleteTable, which write them through the same
 * table store, so they are kept in memory and dropped on any write to it (at its start and again when it
 * completes, so that a read racing a write never keeps the old description); callers get copies. Idempotent.
 */
function cacheTableDescriptions() {
  const db = createRequire(require.resolve('dynalite'))('./db');
  if (db.create.osusumeTableCache) return;
  const create = db.create;
  db.create = Object.assign(
    (options) => {
      const store = create(options);
      const tables = store.tableDb;
      const cache = new Map();
      let generation = 0;
      const forget = () => {
        generation++;
        cache.clear();
      };
      const get = tables.get;
      tables.get = (key, callback) => {
        if (typeof callback !== 'function') return get(key);
        if (cache.has(key)) return void setImmediate(callback, null, structuredClone(cache.get(key)));
        const seen = generation;
        get(key, (err, value) => {
          if (!err && seen === generation && value && typeof value === 'object')
            cache.set(key, structuredClone(value));
          callback(err, value);
        });
      };
      for (const method of ['put', 'del', 'batch']) {
        const write = tables[method];
        tables[method] = (...args) => {
          forget();
          const last = args.length - 1;
          if (typeof args[last] === 'function') {
            const callback = args[last];
            args[last] = (...result) => {
              forget();
              callback(...result);
            };
            return write(...args);
          }
          return Promise.resolve(write(...args)).finally(forget);
        };
      }
      return store;
    },
    { osusumeTableCache: true },
  );
}

/**
 * A dynalite server (not listening yet) whose table state changes are instant, so local startup does not wait
 * on fake CREATING states. `dbPath` keeps the tables in a LevelDB folder, otherwise they live in memory.
 * @param {string | undefined} dbPath
 * @returns {import('node:http').Server}
 */
export function createDynalite(dbPath) {
  closeIteratorsOnReturn();
  cacheTableDescriptions();
  return dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dbPath ? { path: dbPath } : {}),
  });
}
