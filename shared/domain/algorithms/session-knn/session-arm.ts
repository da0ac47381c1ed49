import type { Dataset } from '../../data/dataset.js';
import { DataError } from '../../errors.js';
import type { NeighbourLists } from '../item-cf.js';
import type { RecommendOptions, Recommender, TopN } from '../recommender.js';
import {
  deserializeSession,
  type SessionModel,
  type SessionOptions,
  serializeSession,
  trainSession,
} from '../session.js';
import { type SessionKnnOptions, splitSessionKnnOptions } from './options.js';
import { deserializeSessionKnn, serializeSessionKnn } from './serialize.js';
import type { SessionKnnModel } from './session-knn.js';
import { type TuningReport, trainSessionKnn } from './train.js';

/**
 * The `session` arm's model: session kNN scores a session's events (what the shopper just did, repeats
 * included: {@link scoreSession}), and the transition + co-occurrence model keeps the per-user list the
 * nightly precomputes from each user's last training events, where it measures better (ML-100K temporal
 * P@10 0.209 vs 0.201 for kNN over the user's last events; bench/session.ts).
 */
export class SessionArmModel implements Recommender {
  readonly name = 'session';
  constructor(
    readonly perUser: SessionModel,
    readonly knn: SessionKnnModel,
    /** The kNN part's parameter search, when training ran one (not stored with the model). */
    readonly knnTuning?: TuningReport,
  ) {}
  recommend(user: number, n: number, options?: RecommendOptions): TopN {
    return this.perUser.recommend(user, n, options);
  }
  /** The per-user model's item neighbour lists (published for the request path's recent-events source). */
  get lists(): NeighbourLists {
    return this.perUser.lists;
  }
}

export type SessionArmOptions = SessionOptions & { readonly knn?: SessionKnnOptions };

/** Trains both parts on the same dataset. */
export function trainSessionArm(dataset: Dataset, options: SessionArmOptions = {}): SessionArmModel {
  const { knn, ...perUser } = options;
  const { params, settings } = splitSessionKnnOptions(knn ?? {});
  // the per-user part is the transition model: kNN needs no per-user state here
  const { model, tuning } = trainSessionKnn(dataset, params, { ...settings, recentEvents: 1 });
  return new SessionArmModel(trainSession(dataset, perUser), model, tuning);
}

const MAGIC = 0x4153534f; // "OSSA"

/** [magic, per-user part's length] + per-user part + (8-aligned) the kNN part. */
export function serializeSessionArm(model: SessionArmModel): Uint8Array {
  const a = serializeSession(model.perUser);
  const b = serializeSessionKnn(model.knn, { includeUsers: false });
  const at = (8 + a.byteLength + 7) & ~7;
  const out = new Uint8Array(at + b.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, a.byteLength, true);
  out.set(a, 8);
  out.set(b, at);
  return out;
}

function parts(bytes: Uint8Array): { perUser: Uint8Array; knn: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || view.getUint32(0, true) !== MAGIC)
    throw new DataError('not a session arm model', 'model');
  const n = view.getUint32(4, true);
  const at = (8 + n + 7) & ~7;
  return { perUser: bytes.subarray(8, 8 + n), knn: bytes.subarray(at) };
}

/** Restores both parts (the per-user part needs the training dataset's item ids). */
export function deserializeSessionArm(bytes: Uint8Array, dataset: Dataset): SessionArmModel {
  const p = parts(bytes);
  return new SessionArmModel(deserializeSession(p.perUser, dataset.items), deserializeSessionKnn(p.knn));
}

/** Only the session kNN part of a stored `session` model: what the request function scores sessions with. */
export function sessionKnnOfArm(bytes: Uint8Array): SessionKnnModel {
  return deserializeSessionKnn(parts(bytes).knn);
}
