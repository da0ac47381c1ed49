import type { IdentifiedEvent, Impression, StoredEvent } from '../domain/events/events.js';

/**
 * Interaction events and served impressions (the events table): idempotent on eventId, a user's recent
 * events for the session arm, and time-range reads for attribution reports.
 */
export interface EventStore {
  /**
   * Stores each event whose eventId was never stored before (a conditional write per eventId); an
   * eventId already stored is reported as a duplicate and left unchanged, whatever its new content.
   */
  putEvents(events: readonly StoredEvent[]): Promise<{ stored: StoredEvent[]; duplicates: string[] }>;
  /** The user's most recent events, newest first (by sentAt). */
  recentEvents(userId: string, limit: number): Promise<StoredEvent[]>;
  /** A session's most recent events, anonymous or not, newest first (by sentAt). */
  sessionEvents(sessionId: string, limit: number): Promise<StoredEvent[]>;
  /**
   * Gives a session's anonymous events to the user who later identified in it: they join the user's
   * timeline (the session arm) and carry the userId from now on. Idempotent.
   */
  assignToUser(userId: string, events: readonly StoredEvent[]): Promise<void>;
  /** Records served lists (batched; rewriting the same impression is harmless). */
  putImpressions(impressions: readonly Impression[]): Promise<void>;
  /** Events with sentAt in [from, to), in no particular order (reports: a Scan on DynamoDB). */
  eventsBetween(from: number, to: number): Promise<StoredEvent[]>;
  /** Impressions with ts in [from, to), in no particular order. */
  impressionsBetween(from: number, to: number): Promise<Impression[]>;
}

/** Forwards stored events to a real-time learner (Amazon Personalize's event tracker). */
export interface EventTracker {
  /** `userId` absent for an anonymous visitor (PutEvents takes the sessionId alone). */
  track(batch: { userId?: string; sessionId: string; events: readonly StoredEvent[] }): Promise<void>;
}

/**
 * Exports accepted records as JSON lines to the training data of the next nightly run (Kinesis Data
 * Firehose into S3 day partitions on AWS, a folder locally): events, and the live users/items writes. At
 * least once: a batch may be exported more than once (a client resend, a Firehose retry); the nightly
 * merge deduplicates (events by eventId, users/items by id, the latest write winning).
 */
export interface RecordExport<T> {
  export(records: readonly T[]): Promise<void>;
}

/** The export of accepted events (`events/dt=YYYY-MM-DD/`). */
export type EventExport = RecordExport<IdentifiedEvent>;
