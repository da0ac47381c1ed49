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
        // kept as JSON text and parsed per read: what the store's json encoding hands dynalite, at half
        // the CPU of a structuredClone of the object
        const text = cache.get(key);
        if (text !== undefined) return void setImmediate(callback, null, JSON.parse(text));
        const seen = generation;
        get(key, (err, value) => {
          if (!err && seen === generation && value && typeof value === 'object')
            cache.set(key, JSON.stringify(value));
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

/** Parsed expressions kept at most (a shop's code sends a few dozen distinct ones). */
const EXPRESSION_CACHE_SIZE = 1000;

/**
 * dynalite parses every condition and projection expression of every request with its PEG parser, which
 * allocated 44 % of the embedded DynamoDB's heap churn on the session request path (a conditional put and a
 * Query per visitor step: bench/results/quiet-machine-6.md), and the worker's scavenges that follow. The parse
 * of one expression depends only on its text, the attribute names, and the types of the attribute values,
 * except in BETWEEN (it compares the two bounds) and attribute_type (it reads its argument): so the tree is
 * parsed once per such key and kept with its value slots marked, and each request gets a fresh copy holding its
 * own values, and marks the same names and values used as a parse does. BETWEEN, attribute_type, and
 * any expression that fails are parsed every time. Idempotent.
 */
function cacheExpressionParses() {
  const fromDynalite = createRequire(require.resolve('dynalite'));
  for (const [name, parser] of [
    ['condition', fromDynalite('./db/conditionParser')],
    ['projection', fromDynalite('./db/projectionParser')],
  ]) {
    if (parser.parse.osusumeCache) continue;
    const parse = parser.parse;
    /** @type {Map<string, { tree: unknown, names: string[], values: string[] }>} */
    const cache = new Map();
    parser.parse = Object.assign(
      (input, options) => {
        const context = options?.context;
        if (!context || typeof input !== 'string' || /between|attribute_type/i.test(input))
          return parse(input, options);
        const key = expressionKey(name, input, context);
        const hit = cache.get(key);
        if (hit) {
          // as the resolve of each name and value in a parse does
          for (const n of hit.names) if (context.unusedAttrNames) delete context.unusedAttrNames[n];
          for (const v of hit.values) if (context.unusedAttrVals) delete context.unusedAttrVals[v];
          return copyTree(hit.tree, (slot) => context.attrVals[slot]);
        }
        const names = [];
        const values = [];
        const recording = (target, into) =>
          target &&
          new Proxy(target, {
            deleteProperty(t, p) {
              into.push(String(p));
              return Reflect.deleteProperty(t, p);
            },
          });
        const probe = {
          ...context,
          unusedAttrNames: recording(context.unusedAttrNames, names),
          unusedAttrVals: recording(context.unusedAttrVals, values),
        };
        const result = parse(input, { ...options, context: probe });
        if (result && typeof result === 'object') {
          const slots = new Map();
          for (const [v, value] of Object.entries(context.attrVals ?? {})) slots.set(value, v);
          if (cache.size >= EXPRESSION_CACHE_SIZE) cache.delete(cache.keys().next().value);
          cache.set(key, { tree: copyTree(result, undefined, slots), names, values });
        }
        return result;
      },
      { osusumeCache: true },
    );
  }
}

/** What one parse depends on: the parser, the text, the attribute names, and the value types. */
function expressionKey(parser, input, context) {
  const types = Object.entries(context.attrVals ?? {}).map(([k, v]) => [k, Object.keys(v ?? {}).join(',')]);
  return JSON.stringify([parser, Boolean(context.isKeyCondition), input, context.attrNames ?? null, types]);
}

/** Marks a value slot in a kept tree. */
class ValueSlot {
  /** @param {string} name */
  constructor(name) {
    this.name = name;
  }
}

/**
 * A deep copy of a parse tree (arrays, plain and null-prototype objects). Kept: each attribute value object
 * found in `slots` becomes a {@link ValueSlot}. Handed out: each slot becomes `value(name)`.
 */
function copyTree(node, value, slots) {
  if (node === null || typeof node !== 'object') return node;
  if (node instanceof ValueSlot) return value(node.name);
  const slot = slots?.get(node);
  if (slot !== undefined) return new ValueSlot(slot);
  if (Array.isArray(node)) return node.map((n) => copyTree(n, value, slots));
  const out = Object.create(Object.getPrototypeOf(node));
  for (const k of Object.keys(node)) out[k] = copyTree(node[k], value, slots);
  return out;
}

/**
 * dynalite reads a Query's or Scan's items through a chain of `lazy` streams. On the session request path (one
 * Query per step) that chain kept each Query's objects alive past the worker's scavenges: 2.8 MB survived each
 * one and was promoted, against 16 KB with writes alone, and the worker's scavenges took 6 ms (median) instead
 * of under 1 ms (bench/results/quiet-machine-7.md). Reads of the table itself (no index; an index read that
 * fetches from the table keeps dynalite's own path) are collected here by async iteration over the same store
 * stream, with dynalite's own semantics: stop at Limit or 1 MB, filters, LastEvaluatedKey, projections,
 * Select COUNT and consumed capacity, each by dynalite's helpers. Idempotent.
 */
function leanTableReads() {
  const db = createRequire(require.resolve('dynalite'))('./db');
  if (db.queryTable.osusumeLean) return;
  const original = db.queryTable;
  db.queryTable = Object.assign(
    function queryTable(...args) {
      const [store, table, data, opts, , fetchFromItemDb, startKeyNames, cb] = args;
      if (data.IndexName || fetchFromItemDb) return original.apply(this, args);
      const calculateCapacity =
        data.ReturnConsumedCapacity === 'TOTAL' || data.ReturnConsumedCapacity === 'INDEXES';
      const rangeKey = table.KeySchema[1]?.AttributeName;
      const read = async () => {
        const scanned = [];
        let size = 0;
        let capacity = 0;
        // leaving the loop early destroys the stream, which closes its store iterator
        for await (const val of store.getItemDb(data.TableName).createValueStream(opts)) {
          if (scanned.length >= data.Limit || size >= 1024 * 1024) break;
          if (calculateCapacity) capacity += db.itemSize(val);
          size += db.itemSize(val, true, true, rangeKey);
          scanned.push(val);
        }
        return { scanned, capacity, full: scanned.length >= data.Limit || size >= 1024 * 1024 };
      };
      read().then(
        ({ scanned, capacity, full }) => {
          const queryFilter = data.QueryFilter || data.ScanFilter;
          let items = scanned;
          if (data._filter) items = items.filter((val) => db.matchesExprFilter(val, data._filter.expression));
          else if (queryFilter)
            items = items.filter((val) => db.matchesFilter(val, queryFilter, data.ConditionalOperator));
          const result = { ScannedCount: scanned.length };
          const lastItem = scanned[scanned.length - 1];
          // never more than Limit items were read, so none is cut here
          if (full && lastItem) {
            result.LastEvaluatedKey = {};
            for (const attr of startKeyNames) result.LastEvaluatedKey[attr] = lastItem[attr];
          }
          const paths = data._projection ? data._projection.paths : data.AttributesToGet;
          if (paths) items = items.map((item) => db.mapPaths(paths, item));
          result.Count = items.length;
          if (data.Select !== 'COUNT') result.Items = items;
          if (calculateCapacity) {
            const tableUnits = Math.ceil(capacity / 1024 / 4) * (data.ConsistentRead ? 1 : 0.5);
            result.ConsumedCapacity = { CapacityUnits: tableUnits, TableName: data.TableName };
            if (data.ReturnConsumedCapacity === 'INDEXES')
              result.ConsumedCapacity.Table = { CapacityUnits: tableUnits };
          }
          cb(null, result);
        },
        (err) => cb(err),
      );
    },
    { osusumeLean: true },
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
  cacheExpressionParses();
  leanTableReads();
  return dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dbPath ? { path: dbPath } : {}),
  });
}
