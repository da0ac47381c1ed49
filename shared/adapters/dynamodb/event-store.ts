import {
  type AttributeValue,
  BatchWriteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { EventType, Impression, StoredEvent } from '../../domain/events/events.js';
import type { EventStore } from '../../ports/events.js';
import { type BatchOptions, runBounded, writeBatches } from './batch-writer.js';
import { dynamoCall, errorName, toDependencyError } from './call.js';
import type { DocClient } from './clients.js';

type Item = Record<string, unknown>;

/** The document client's marshalling (clients.ts), for the calls made with the low-level `fast` client. */
const toAttributes = (item: Item) =>
  marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: false });
const fromAttributes = (attributes: Record<string, AttributeValue>) =>
  unmarshall(attributes, { wrapNumbers: false });

const putRequest = (Item: Item): WriteRequest => ({ PutRequest: { Item: toAttributes(Item) } });
/** An item's primary key as one string (pk and sk hold no NUL). */
const itemKey = (i: Item) => `${i.pk}\u0000${i.sk}`;

/** Zero-padded epoch ms so that sort keys order by time as strings. */
const pad = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(15, '0');

/** Item kinds on the events table (the `kind` attribute lets a report Scan filter by type). */
const KIND = { marker: 'mark', event: 'ev', sessionEvent: 'sev', impressions: 'imps' } as const;

/**
 * Events and impressions on the events table (pk S, sk S, TTL expiresAt):
 * - `event#{eventId}` / `id`: the idempotency marker, written with attribute_not_exists(pk); it holds the
 *   event as first sent. The timeline items are written as sent in the same round trip as the claim; a
 *   repeat then rewrites them from the marker and deletes what it wrote under other keys, so a call that
 *   failed half-way is completed by the client's retry (dynalite has no transactions). Between the two
 *   writes of a repeat with other content its items may briefly show that content;
 * - `user#{userId}` / `ev#{sentAt}#{eventId}`: the user's timeline (Query newest first for the session arm);
 * - `session#{sessionId}` / `ev#{sentAt}#{eventId}`: the session's timeline, anonymous events included
 *   (`GET /sessions/{sessionId}/recommendations`, and finding the anonymous events once a userId arrives);
 * - `imps#{first recommendationId}` / `{tsMin}#{count}`: one item per flush of served lists (the request
 *   Lambda queues them), the lists as compact JSON in `lists`, with `ts` = the first and `tsMax` = the last
 *   list's time. One write per flush instead of one per list: the request path's only write costs one
 *   request (and fewer write units, which round up per item), and only reports read impressions.
 * Reports Scan the table with a filter on kind and time (a nightly job, not the request path).
 * The request path's calls (the event writes, the timeline reads, impression flushes) use the low-level
 * client with its middleware stack cached (`doc.fast`, clients.ts).
 * Items stay small: ids ≤ 256 chars, properties ≤ 1 KB; impression batches ≤ IMPRESSION_BATCH_BYTES.
 */
export class DynamoEventStore implements EventStore {
  constructor(
    private readonly doc: DocClient,
    private readonly options: {
      readonly tableName: string;
      /** Event and impression retention (TTL), days. */
      readonly ttlDays: number;
      readonly batch?: BatchOptions;
      /** Parallel Scan segments for reports. */
      readonly scanSegments?: number;
    },
  ) {}

  private expiresAt(ms: number): number {
    return Math.floor(ms / 1000) + Math.round(this.options.ttlDays * 86_400);
  }

  async putEvents(events: readonly StoredEvent[]): Promise<{ stored: StoredEvent[]; duplicates: string[] }> {
    const table = this.options.tableName;
    // 1. claim each eventId with a conditional put (the marker keeps the first content ever sent) while
    // 2. the timeline items are written as sent: one round trip for a new event instead of two, and
    //    idempotent puts, so a repeat of the same content never adds one
    const [claims] = await Promise.all([
      runBounded(
        events,
        10,
        async (e): Promise<{ event: StoredEvent; sent: StoredEvent; fresh: boolean }> => {
          try {
            await this.doc.fast.send(
              new PutItemCommand({
                TableName: table,
                Item: toAttributes(this.markerItem(e)),
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            );
            return { event: e, sent: e, fresh: true };
          } catch (err) {
            if (errorName(err) !== 'ConditionalCheckFailedException') throw toDependencyError('PutItem', err);
          }
          const out = await dynamoCall('GetItem', () =>
            this.doc.fast.send(
              new GetItemCommand({
                TableName: table,
                Key: toAttributes({ pk: `event#${e.eventId}`, sk: 'id' }),
                ConsistentRead: true,
              }),
            ),
          );
          return { event: out.Item ? fromItem(fromAttributes(out.Item)) : e, sent: e, fresh: false };
        },
      ),
      this.write(events.flatMap((e) => this.timelineItems(e)).map(putRequest)),
    ]);
    // 3. a duplicate's timeline is rewritten from the claimed content (which also completes an earlier
    // call that failed half-way: dynalite has no transactions), and what this call wrote under other keys
    // (a resend with another sentAt or session) is deleted: the eventId is in every key, so no other
    // event's item can be among them
    const repeats = claims.filter((c) => !c.fresh);
    if (repeats.length > 0) {
      const claimed = repeats.flatMap((c) => this.timelineItems(c.event));
      const kept = new Set(claimed.map(itemKey));
      const stray = repeats
        .flatMap((c) => this.timelineItems(c.sent))
        .filter((i) => !kept.has(itemKey(i)))
        .map((i): WriteRequest => ({ DeleteRequest: { Key: toAttributes({ pk: i.pk, sk: i.sk }) } }));
      await this.write([...claimed.map(putRequest), ...stray]);
    }
    return {
      stored: claims.filter((c) => c.fresh).map((c) => c.event),
      duplicates: claims.filter((c) => !c.fresh).map((c) => c.event.eventId),
    };
  }

  /** The event's timeline items: the session's always, the user's when it carries a userId. */
  private timelineItems(e: StoredEvent): Item[] {
    const sk = `ev#${pad(e.sentAt)}#${e.eventId}`;
    const base = { sk, kind: KIND.event, ...eventAttributes(e), expiresAt: this.expiresAt(e.sentAt) };
    const items: Item[] = [{ pk: `session#${e.sessionId}`, ...base }];
    // the session copy is not a reported event (a report Scan would count it twice)
    items[0].kind = KIND.sessionEvent;
    if (e.userId !== undefined) items.push({ pk: `user#${e.userId}`, ...base });
    return items;
  }

  async sessionEvents(sessionId: string, limit: number): Promise<StoredEvent[]> {
    return this.timeline(`session#${sessionId}`, limit);
  }

  async assignToUser(userId: string, events: readonly StoredEvent[]): Promise<void> {
    // the marker too: a resend of an anonymous event rewrites the timelines from it
    const writes = events
      .filter((e) => e.userId === undefined)
      .flatMap((e) => {
        const owned = { ...e, userId };
        return [this.markerItem(owned), ...this.timelineItems(owned)];
      });
    await this.put(writes);
  }

  /** Puts `items` with BatchWriteItem on the `fast` client (batch-writer's chunks and retries). */
  private async put(items: readonly Item[]): Promise<void> {
    await this.write(items.map(putRequest));
  }

  private async write(requests: readonly WriteRequest[]): Promise<void> {
    const table = this.options.tableName;
    await writeBatches(table, requests, this.options.batch ?? {}, async (batch) => {
      const out = await this.doc.fast.send(new BatchWriteItemCommand({ RequestItems: { [table]: batch } }));
      return out.UnprocessedItems?.[table] ?? [];
    });
  }

  private markerItem(e: StoredEvent): Item {
    return {
      pk: `event#${e.eventId}`,
      sk: 'id',
      kind: KIND.marker,
      ...eventAttributes(e),
      expiresAt: this.expiresAt(e.sentAt),
    };
  }

  async recentEvents(userId: string, limit: number): Promise<StoredEvent[]> {
    return this.timeline(`user#${userId}`, limit);
  }

  private async timeline(pk: string, limit: number): Promise<StoredEvent[]> {
    const out = await dynamoCall('Query', () =>
      this.doc.fast.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ev)',
          ExpressionAttributeValues: toAttributes({ ':pk': pk, ':ev': 'ev#' }),
          ScanIndexForward: false,
          Limit: limit,
        }),
      ),
    );
    return (out.Items ?? []).map((i) => fromItem(fromAttributes(i)));
  }

  async putImpressions(impressions: readonly Impression[]): Promise<void> {
    // a list repeated within a call is kept once (the last), as with one item per list
    const byId = new Map<string, Impression>();
    for (const impression of impressions) byId.set(impression.recommendationId, impression);
    const items = impressionBatches([...byId.values()]).map(({ first, tsMin, tsMax, json }) => ({
      // keyed by its first list, so a retried write replaces rather than adds; spread over partitions
      pk: `imps#${first}`,
      sk: `${pad(tsMin)}#${json.length}`,
      kind: KIND.impressions,
      ts: tsMin,
      tsMax,
      lists: `[${json.join(',')}]`,
      expiresAt: this.expiresAt(tsMax),
    }));
    await this.put(items);
  }

  async eventsBetween(from: number, to: number): Promise<StoredEvent[]> {
    return (await this.scanKind(KIND.event, from, to)).map(fromItem);
  }

  async impressionsBetween(from: number, to: number): Promise<Impression[]> {
    // a batch overlapping [from, to) may hold lists outside it; a list is reported once even if a retried
    // flush stored it twice
    const batches = await this.scanKind(KIND.impressions, from, to, true);
    const byId = new Map<string, Impression>();
    for (const b of batches) {
      for (const imp of parseImpressions(b.lists)) {
        if (imp.ts >= from && imp.ts < to) byId.set(imp.recommendationId, imp);
      }
    }
    return [...byId.values()];
  }

  /** A parallel Scan filtered on kind and ts (reports only). */
  private async scanKind(kind: string, from: number, to: number, spans = false): Promise<Item[]> {
    // batches of impressions carry [ts, tsMax]: select those that overlap [from, to)
    const filter = spans
      ? '#k = :k AND #tsMax >= :from AND #ts < :to'
      : '#k = :k AND #ts >= :from AND #ts < :to';
    const names: Record<string, string> = { '#k': 'kind', '#ts': 'ts' };
    if (spans) names['#tsMax'] = 'tsMax';
    const segments = Math.max(1, this.options.scanSegments ?? 4);
    const parts = await runBounded(
      Array.from({ length: segments }, (_, i) => i),
      segments,
      async (segment) => {
        const items: Item[] = [];
        let start: Item | undefined;
        do {
          const out = await dynamoCall('Scan', () =>
            this.doc.send(
              new ScanCommand({
                TableName: this.options.tableName,
                Segment: segment,
                TotalSegments: segments,
                FilterExpression: filter,
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: { ':k': kind, ':from': from, ':to': to },
                ExclusiveStartKey: start,
              }),
            ),
          );
          for (const it of out.Items ?? []) items.push(it);
          start = out.LastEvaluatedKey;
        } while (start !== undefined);
        return items;
      },
    );
    return parts.flat();
  }
}

function eventAttributes(e: StoredEvent): Item {
  const a: Item = {
    eventId: e.eventId,
    sessionId: e.sessionId,
    eventType: e.eventType,
    rawEventType: e.rawEventType,
    itemId: e.itemId,
    ts: e.sentAt,
  };
  if (e.userId !== undefined) a.userId = e.userId;
  if (e.recommendationId !== undefined) a.recommendationId = e.recommendationId;
  if (e.properties !== undefined) a.properties = e.properties;
  return a;
}

function fromItem(i: Item): StoredEvent {
  const e: { -readonly [K in keyof StoredEvent]: StoredEvent[K] } = {
    eventId: i.eventId as string,
    sessionId: i.sessionId as string,
    eventType: i.eventType as EventType,
    rawEventType: i.rawEventType as string,
    itemId: i.itemId as string,
    sentAt: i.ts as number,
  };
  if (typeof i.userId === 'string') e.userId = i.userId;
  if (typeof i.recommendationId === 'string') e.recommendationId = i.recommendationId;
  if (typeof i.properties === 'string') e.properties = i.properties;
  return e;
}

/** Serialised size a batch of impressions may reach (DynamoDB items are limited to 400 KB). */
export const IMPRESSION_BATCH_BYTES = 300_000;

type CompactImpression = [string, string, string, string, string, string[], number];

function compactImpression(i: Impression): CompactImpression {
  return [i.recommendationId, i.userId, i.slot, i.experiment, i.arm, [...i.items], i.ts];
}

/** One stored batch: its lists serialised once (compact JSON each), with the keys' ingredients. */
interface ImpressionBatch {
  first: string;
  tsMin: number;
  tsMax: number;
  json: string[];
}

/** Splits lists into batches whose JSON stays under IMPRESSION_BATCH_BYTES. */
function impressionBatches(impressions: readonly Impression[]): ImpressionBatch[] {
  const batches: ImpressionBatch[] = [];
  let current: ImpressionBatch | undefined;
  let bytes = 0;
  for (const imp of impressions) {
    const json = JSON.stringify(compactImpression(imp));
    const size = json.length * 3; // worst case UTF-8
    if (current && bytes + size > IMPRESSION_BATCH_BYTES) {
      batches.push(current);
      current = undefined;
      bytes = 0;
    }
    if (!current) current = { first: imp.recommendationId, tsMin: imp.ts, tsMax: imp.ts, json: [] };
    current.json.push(json);
    current.tsMin = Math.min(current.tsMin, imp.ts);
    current.tsMax = Math.max(current.tsMax, imp.ts);
    bytes += size;
  }
  if (current) batches.push(current);
  return batches;
}

/** Lists of a stored batch; a malformed batch yields none rather than failing the whole report. */
function parseImpressions(raw: unknown): Impression[] {
  if (typeof raw !== 'string') return [];
  let rows: unknown;
  try {
    rows = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(rows)) return [];
  const out: Impression[] = [];
  for (const r of rows) {
    // a row of other types (hand-written, another writer) is skipped: reports and charts take strings
    if (!Array.isArray(r) || r.length !== 7 || !Number.isFinite(r[6])) continue;
    const [recommendationId, userId, slot, experiment, arm, items, ts] = r as unknown[];
    if (![recommendationId, userId, slot, experiment, arm].every((v) => typeof v === 'string')) continue;
    out.push({
      recommendationId,
      userId,
      slot,
      experiment,
      arm,
      items: Array.isArray(items) ? items.filter((i): i is string => typeof i === 'string') : [],
      ts,
    } as Impression);
  }
  return out;
}
