/**
 * Compact binary format for FmModel, so a scoring Lambda can load a trained model without the dataset.
 *
 * Layout (little-endian): a 48-byte header — magic "OSFM", version, k, users, items, features, itemBase,
 * user feature nnz, item feature nnz, seen nnz, attributeWeight (f32), metadata byte length — then UTF-8
 * JSON metadata (id lists, attribute dictionaries, history feature base/weight), zero padding to 4 bytes, and the typed arrays:
 * w0, w, V (features × k), user feature rows (ptr, index, weight), item feature rows, seen (indptr, indices).
 */
import { DataError } from '../errors.js';
import { type FeatureRows, type FmAttributeBlock, FmModel, idIndexOf } from './fm-model.js';

const MAGIC = 0x4d46534f; // "OSFM" read as little-endian u32
const VERSION = 1;
const HEADER = 48;

interface Meta {
  users: string[];
  items: string[];
  userBlocks: { name: string; offset: number; values: string[] }[];
  itemBlocks: { name: string; offset: number; values: string[] }[];
  historyBase: number;
  historyWeight: number;
}

type Typed = Float32Array | Int32Array;

/** Serialises a trained FM (parameters, feature mapping, seen items) into a compact binary blob. */
export function serializeFm(model: FmModel): Uint8Array {
  const { layout, params, userFeatures: uf, itemFeatures: itf, seen } = model;
  const blocks = (bs: readonly FmAttributeBlock[]) =>
    bs.map((b) => ({ name: b.name, offset: b.offset, values: b.dict.ids }));
  const meta: Meta = {
    users: layout.users.ids,
    items: layout.items.ids,
    userBlocks: blocks(layout.userBlocks),
    itemBlocks: blocks(layout.itemBlocks),
    historyBase: layout.historyBase,
    historyWeight: layout.historyWeight,
  };
  const metaBytes = new TextEncoder().encode(JSON.stringify(meta));
  const arrays: Typed[] = [
    params.w0,
    params.w,
    params.v,
    uf.ptr,
    uf.index,
    uf.weight,
    itf.ptr,
    itf.index,
    itf.weight,
    seen.indptr,
    seen.indices,
  ];
  const metaEnd = HEADER + metaBytes.length;
  const dataStart = (metaEnd + 3) & ~3;
  let total = dataStart;
  for (const a of arrays) total += a.byteLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const header = [
    MAGIC,
    VERSION,
    params.k,
    layout.users.size,
    layout.items.size,
    layout.features,
    layout.itemBase,
    uf.index.length,
    itf.index.length,
    seen.indices.length,
  ];
  for (let j = 0; j < header.length; j++) view.setUint32(j * 4, header[j], true);
  view.setFloat32(40, layout.attributeWeight, true);
  view.setUint32(44, metaBytes.length, true);
  out.set(metaBytes, HEADER);
  let off = dataStart;
  for (const a of arrays) {
    writeLe(view, off, a);
    off += a.byteLength;
  }
  return out;
}

/** Loads a model written by serializeFm; throws DataError on a malformed or foreign blob. */
export function deserializeFm(bytes: Uint8Array): FmModel {
  const fail = (msg: string) => new DataError(msg, 'fm-model');
  if (bytes.byteLength < HEADER) throw fail('truncated header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (j: number) => view.getUint32(j * 4, true);
  if (u32(0) !== MAGIC) throw fail('not an FM model (bad magic)');
  if (u32(1) !== VERSION) throw fail(`unsupported FM model version ${u32(1)}`);
  const k = u32(2);
  const nUsers = u32(3);
  const nItems = u32(4);
  const features = u32(5);
  const itemBase = u32(6);
  const userNnz = u32(7);
  const itemNnz = u32(8);
  const seenNnz = u32(9);
  const attributeWeight = view.getFloat32(40, true);
  const metaLen = u32(11);
  if (HEADER + metaLen > bytes.byteLength) throw fail('truncated metadata');
  let meta: Meta;
  try {
    meta = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER, HEADER + metaLen))) as Meta;
  } catch {
    throw fail('corrupt metadata');
  }
  if (meta.users?.length !== nUsers || meta.items?.length !== nItems)
    throw fail('id lists do not match header');
  let off = (HEADER + metaLen + 3) & ~3;
  const take = <T extends Typed>(make: (n: number) => T, n: number): T => {
    const a = make(n);
    if (off + a.byteLength > bytes.byteLength) throw fail('truncated arrays');
    readLe(view, off, a);
    off += a.byteLength;
    return a;
  };
  const f32 = (n: number) => new Float32Array(n);
  const i32 = (n: number) => new Int32Array(n);
  const w0 = take(f32, 1);
  const w = take(f32, features);
  const v = take(f32, features * k);
  const userFeatures: FeatureRows = {
    ptr: take(i32, nUsers + 1),
    index: take(i32, userNnz),
    weight: take(f32, userNnz),
  };
  const itemFeatures: FeatureRows = {
    ptr: take(i32, nItems + 1),
    index: take(i32, itemNnz),
    weight: take(f32, itemNnz),
  };
  const seen = { indptr: take(i32, nUsers + 1), indices: take(i32, seenNnz) };
  for (const idx of [userFeatures.index, itemFeatures.index]) {
    for (let p = 0; p < idx.length; p++)
      if (idx[p] < 0 || idx[p] >= features) throw fail('feature index out of range');
  }
  const blocks = (bs: Meta['userBlocks']): FmAttributeBlock[] =>
    bs.map((b) => ({ name: b.name, offset: b.offset, dict: idIndexOf(b.values) }));
  return new FmModel(
    {
      users: idIndexOf(meta.users),
      items: idIndexOf(meta.items),
      userBlocks: blocks(meta.userBlocks),
      itemBlocks: blocks(meta.itemBlocks),
      itemBase,
      features,
      attributeWeight,
      historyBase: meta.historyBase ?? -1,
      historyWeight: meta.historyWeight ?? 0,
    },
    { k, w0, w, v },
    userFeatures,
    itemFeatures,
    seen,
  );
}

function writeLe(view: DataView, off: number, a: Typed): void {
  if (a instanceof Float32Array) for (let j = 0; j < a.length; j++) view.setFloat32(off + j * 4, a[j], true);
  else for (let j = 0; j < a.length; j++) view.setInt32(off + j * 4, a[j], true);
}

function readLe(view: DataView, off: number, a: Typed): void {
  if (a instanceof Float32Array) for (let j = 0; j < a.length; j++) a[j] = view.getFloat32(off + j * 4, true);
  else for (let j = 0; j < a.length; j++) a[j] = view.getInt32(off + j * 4, true);
}
