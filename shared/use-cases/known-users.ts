import { TtlCache } from '../domain/cache.js';
import { type KnownUsersLayout, mayContain, shardOf } from '../domain/personalize/known-users.js';
import type { CandidateContext, CandidateSource } from '../ports/candidates.js';
import type { PipelineStateStore } from '../ports/stores.js';
import type { ScoredItem } from '../ports/types.js';
import { type VisitorEvents, visitorEvents } from './session-source.js';

/** State record pointing at the known-user set of the campaign's training (written when the gate passes). */
export const KNOWN_USERS_POINTER = 'personalize-users-latest';
/** State record of one shard (base64 of the filter bits). */
export const knownUsersShardKey = (id: string, shard: number) => `personalize-users#${id}#${shard}`;

/**
 * Whether Personalize was trained on a user: the pointer is re-read every `ttlMs`, a shard of a published
 * set never changes and is read once per process. Without a published set every user counts as known
 * (Personalize answers, as before the set existed).
 */
export class KnownUsers {
  private readonly pointer: TtlCache<'pointer', KnownUsersLayout | null>;
  private readonly shards = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly state: PipelineStateStore,
    ttlMs: number,
    now?: () => number,
  ) {
    this.pointer = new TtlCache(ttlMs, now);
  }

  async known(userId: string): Promise<boolean> {
    const { value: layout } = await this.pointer.read(
      'pointer',
      async () => (await this.state.getRecord<KnownUsersLayout>(KNOWN_USERS_POINTER)) ?? null,
      Number.POSITIVE_INFINITY,
      'personalize-users',
    );
    if (!layout) return true;
    const shard = shardOf(userId, layout.shards);
    const key = knownUsersShardKey(layout.id, shard);
    let bits = this.shards.get(key);
    if (!bits) {
      bits = this.state.getRecord<{ bits: string }>(key).then((r) => Buffer.from(r?.bits ?? '', 'base64'));
      // a failed read is retried by the next request, not cached
      bits.catch(() => this.shards.delete(key));
      // bounded (256 shards ≈ 48 MiB, a 40M-user set): past it the shards of old sets go too
      if (this.shards.size >= 256) this.shards.clear();
      this.shards.set(key, bits);
    }
    const bytes = await bits;
    // a missing shard says nothing: treat the user as known
    return bytes.length === 0 || mayContain(layout, bytes, userId);
  }
}

/**
 * The campaign arm for users Personalize was not trained on: a cold user without recent events gets no
 * Personalize candidates, so the request fills the answer from the popularity of their segment (people
 * like them) instead of Personalize's same popular items for every new user; a cold user with recent
 * events gets Personalize's session-aware answer (the event tracker has fed it those events).
 */
export class ColdAwarePersonalizeSource implements CandidateSource {
  readonly source: string;

  constructor(
    private readonly personalize: CandidateSource,
    private readonly knownUsers: KnownUsers,
    private readonly events: VisitorEvents,
  ) {
    this.source = personalize.source;
  }

  async candidates(userId: string, n: number, context?: CandidateContext): Promise<ScoredItem[]> {
    // an anonymous session is asked for under its sessionId (userId here), as Personalize documents
    if (await this.knownUsers.known(userId)) return this.personalize.candidates(userId, n, context);
    const recent = await visitorEvents(this.events, userId, 1, context);
    return recent.length > 0 ? this.personalize.candidates(userId, n, context) : [];
  }
}
