import { ValidationError } from '../errors.js';
import type { RepeatTables } from '../algorithms/session-knn/repeat-model.js';
import { SessionKnnModel, type SessionKnnParams } from '../algorithms/session-knn/session-knn.js';

/**
 * The serving form of a session kNN model, as the request function loads it per version: item ids, the
 * neighbour-search index (session → items, item → recent sessions), the sequential rules and the repeat
 * tables, without the per-user training state. One buffer: a JSON header, then 8-byte aligned typed-array
 * sections that are read as views (no copy, no parse), so a 1M-session index loads in milliseconds.
 */
const MAGIC = 0x4e4b534f; // "OSKN" little-endian
const FORMAT = 1;

type Section = Int32Array | Float32Array | Float64Array | Uint32Array;
const KINDS = { i32: Int32Array, f32: Float32Array, f64: Float64Array, u32: Uint32Array } as const;
type Kind = keyof typeof KINDS;

interface Header {
  readonly format: number;
  readonly params: SessionKnnParams;
  readonly eventTypeNames: readonly string[];
  readonly repeat: { ranks: number; counts: number; types: number };
  /** Section name → [kind, element count], in buffer order. */
  readonly sections: [string, Kind, number][];
  /** UTF-16 length of the joined item ids. */
  readonly idChars: number;
}

const kindOf = (a: Section): Kind =>
  a instanceof Int32Array
    ? 'i32'
    : a instanceof Float32Array
      ? 'f32'
      : a instanceof Float64Array
        ? 'f64'
        : 'u32';
const align8 = (n: number) => (n + 7) & ~7;

/** Encodes a trained model's serving state (see the module comment). */
export function serializeSessionServing(model: SessionKnnModel): Uint8Array {
  // ids are joined and cut by offsets: ids may hold any character, the offsets say where each ends
  const ids = model.itemIds.join('');
  const idEnds = new Uint32Array(model.itemIds.length);
  let end = 0;
  model.itemIds.forEach((id, i) => {
    end += id.length;
    idEnds[i] = end;
  });
  const idBytes = new TextEncoder().encode(ids);
  const x = model.index;
  const t = model.repeat;
  const parts: [string, Section][] = [
    ['sessPtr', x.sessPtr],
    ['sessItems', x.sessItems],
    ['sessTime', x.sessTime],
    ['itemPtr', x.itemPtr],
    ['itemSess', x.itemSess],
    ['idf', x.idf],
    ['rulesPtr', model.rules.indptr],
    ['rulesIdx', model.rules.indices],
    ['rulesSim', model.rules.sims],
    ['repeat', t.repeat],
    ['explore', t.explore],
    ['newRank', t.newRank],
    ['idEnds', idEnds],
  ];
  const header: Header = {
    format: FORMAT,
    params: model.params,
    eventTypeNames: model.eventTypeNames,
    repeat: { ranks: t.ranks, counts: t.counts, types: t.types },
    sections: parts.map(([name, a]) => [name, kindOf(a), a.length]),
    idChars: ids.length,
  };
  const head = new TextEncoder().encode(JSON.stringify(header));
  let size = align8(12 + head.length);
  for (const [, a] of parts) size += align8(a.byteLength);
  size += idBytes.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, FORMAT, true);
  view.setUint32(8, head.length, true);
  out.set(head, 12);
  let at = align8(12 + head.length);
  for (const [, a] of parts) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += align8(a.byteLength);
  }
  out.set(idBytes, at);
  return out;
}

/**
 * Restores a model from {@link serializeSessionServing}'s bytes; the typed arrays are views of `bytes`
 * (copied once only when `bytes` is not 8-byte aligned). Throws ValidationError on bytes of another kind.
 */
export function deserializeSessionServing(input: Uint8Array): SessionKnnModel {
  const bytes = input.byteOffset % 8 === 0 ? input : input.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || view.getUint32(0, true) !== MAGIC || view.getUint32(4, true) !== FORMAT)
    throw new ValidationError('not a session serving artifact (format 1)', 'artifact');
  const headLength = view.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headLength))) as Header;
  let at = align8(12 + headLength);
  const s = new Map<string, Section>();
  for (const [name, kind, length] of header.sections) {
    const Ctor = KINDS[kind];
    s.set(name, new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset + at, length));
    at += align8(length * Ctor.BYTES_PER_ELEMENT);
  }
  const get = <T extends Section>(name: string) => s.get(name) as T;
  const ids = new TextDecoder().decode(bytes.subarray(at));
  if (ids.length !== header.idChars)
    throw new ValidationError('session serving artifact is truncated', 'artifact');
  const idEnds = get<Uint32Array>('idEnds');
  const itemIds = new Array<string>(idEnds.length);
  for (let i = 0, from = 0; i < idEnds.length; i++) {
    itemIds[i] = ids.slice(from, idEnds[i]);
    from = idEnds[i];
  }
  const repeat: RepeatTables = {
    ...header.repeat,
    repeat: get('repeat'),
    explore: get('explore'),
    newRank: get('newRank'),
  };
  return new SessionKnnModel(
    itemIds,
    header.eventTypeNames,
    {
      nItems: itemIds.length,
      sessPtr: get('sessPtr'),
      sessItems: get('sessItems'),
      sessTime: get('sessTime'),
      itemPtr: get('itemPtr'),
      itemSess: get('itemSess'),
      idf: get('idf'),
    },
    { indptr: get('rulesPtr'), indices: get('rulesIdx'), sims: get('rulesSim') },
    repeat,
    header.params,
  );
}
