import { DataError } from '../../errors.js';
import { PackedIds, packIds } from './packed-ids.js';
import { type SessionKnnParams, SessionKnnModel } from './session-knn.js';

/**
 * Binary form of a session kNN model, self-contained (item ids included, packed with their hash table so
 * loading parses nothing of the size of the catalogue) so the request function can load it without the dataset: "OSKN", a u32 header length, a JSON header naming
 * each array (type, length), then the arrays, each 8-byte aligned so they are read as views without copying.
 */
const MAGIC = 0x4e4b534f; // "OSKN" little-endian
// 3: ids packed (2 held them as one JSON array; such an artifact is not read: the neighbour lists serve its version)
const VERSION = 3;

type Arr = Int32Array | Float64Array | Float32Array | Uint8Array;
const KINDS = { i32: Int32Array, f64: Float64Array, f32: Float32Array, u8: Uint8Array } as const;
type Kind = keyof typeof KINDS;

function kindOf(a: Arr): Kind {
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Float32Array) return 'f32';
  return 'u8';
}

interface Header {
  readonly version: number;
  readonly params: SessionKnnParams;
  readonly eventTypes: readonly string[];
  readonly repeatShape: { readonly ranks: number; readonly counts: number; readonly types: number };
  readonly nItems: number;
  readonly arrays: { readonly name: string; readonly kind: Kind; readonly length: number }[];
}

/** Serialises a model; `includeUsers: false` leaves out the per-user state (the request path needs none). */
export function serializeSessionKnn(
  model: SessionKnnModel,
  options: { includeUsers?: boolean } = {},
): Uint8Array {
  const enc = new TextEncoder();
  // packed with their hash table: the request function maps them as they are (packed-ids.ts)
  const ids = model.packedIds?.packed ?? packIds(model.itemIds);
  const x = model.index;
  const arrays: [string, Arr][] = [
    ['idBytes', ids.bytes],
    ['idOffsets', ids.offsets],
    ['idSlots', ids.slots],
    ['sessPtr', x.sessPtr],
    ['sessItems', x.sessItems],
    ['sessTime', x.sessTime],
    ['itemPtr', x.itemPtr],
    ['itemSess', x.itemSess],
    ['idf', x.idf],
    ['rulesPtr', model.rules.indptr],
    ['rulesItems', model.rules.indices],
    ['rulesSims', model.rules.sims],
    ['repeat', model.repeat.repeat],
    ['explore', model.repeat.explore],
    ['newRank', model.repeat.newRank],
  ];
  if (options.includeUsers !== false && model.recent && model.history)
    arrays.push(
      ['recentPtr', model.recent.indptr],
      ['recentItems', model.recent.items],
      ['recentTimes', model.recent.times],
      ['historyPtr', model.history.indptr],
      ['historyItems', model.history.items],
    );
  const header: Header = {
    version: VERSION,
    params: model.params,
    eventTypes: model.eventTypeNames,
    repeatShape: { ranks: model.repeat.ranks, counts: model.repeat.counts, types: model.repeat.types },
    nItems: model.nItems,
    arrays: arrays.map(([name, a]) => ({ name, kind: kindOf(a), length: a.length })),
  };
  const json = enc.encode(JSON.stringify(header));
  const align = (n: number) => (n + 7) & ~7;
  let size = align(8 + json.length);
  for (const [, a] of arrays) size += align(a.byteLength);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, json.length, true);
  out.set(json, 8);
  let at = align(8 + json.length);
  for (const [, a] of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += align(a.byteLength);
  }
  return out;
}

/** Restores a model written by {@link serializeSessionKnn}; arrays are views on `bytes` when aligned. */
export function deserializeSessionKnn(bytes: Uint8Array): SessionKnnModel {
  if (bytes.byteLength < 8) throw new DataError('session-knn model: too short', 'model');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new DataError('not a session-knn model', 'model');
  const jsonLength = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + jsonLength))) as Header;
  if (header.version !== VERSION)
    throw new DataError(`session-knn model version ${header.version}, expected ${VERSION}`, 'model');
  const align = (n: number) => (n + 7) & ~7;
  let at = align(8 + jsonLength);
  const got = new Map<string, Arr>();
  // views need the absolute offset aligned to the element size; copy when the caller's buffer is not
  const aligned = bytes.byteOffset % 8 === 0;
  for (const a of header.arrays) {
    const Ctor = KINDS[a.kind];
    const byteLength = a.length * Ctor.BYTES_PER_ELEMENT;
    if (at + byteLength > bytes.byteLength) throw new DataError('session-knn model: truncated', 'model');
    const arr = aligned
      ? new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset + at, a.length)
      : new Ctor(bytes.slice(at, at + byteLength).buffer as ArrayBuffer);
    got.set(a.name, arr);
    at += align(byteLength);
  }
  const need = <T extends Arr>(name: string): T => {
    const a = got.get(name);
    if (!a) throw new DataError(`session-knn model: missing ${name}`, 'model');
    return a as T;
  };
  const itemIds = new PackedIds({
    bytes: need<Uint8Array>('idBytes'),
    offsets: need<Int32Array>('idOffsets'),
    slots: need<Int32Array>('idSlots'),
  });
  const recent = got.has('recentPtr')
    ? {
        indptr: need<Int32Array>('recentPtr'),
        items: need<Int32Array>('recentItems'),
        times: need<Float64Array>('recentTimes'),
      }
    : undefined;
  const history = got.has('historyPtr')
    ? { indptr: need<Int32Array>('historyPtr'), items: need<Int32Array>('historyItems') }
    : undefined;
  return new SessionKnnModel(
    itemIds,
    header.eventTypes,
    {
      nItems: header.nItems,
      sessPtr: need('sessPtr'),
      sessItems: need('sessItems'),
      sessTime: need('sessTime'),
      itemPtr: need('itemPtr'),
      itemSess: need('itemSess'),
      idf: need('idf'),
    },
    { indptr: need('rulesPtr'), indices: need('rulesItems'), sims: need('rulesSims') },
    { ...header.repeatShape, repeat: need('repeat'), explore: need('explore'), newRank: need('newRank') },
    header.params,
    recent,
    history,
  );
}
