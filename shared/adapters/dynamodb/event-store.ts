import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import type { EventType, Impression, StoredEvent } from '../../domain/events/events.js';
import type { EventStore } from '../../ports/events.js';
import { type BatchOptions, batchWrite, runBounded } from './batch-writer.js';
import { dynamoCall, errorName, toDependencyError } from './call.js';

type Item = Record<string, unknown>;

/** Zero-padded epoch ms so that sort keys order by time as strings. */
const pad = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(15, '0');

/** Item kinds on the events table (the `kind` attribute lets a report Scan filter by type). */
const KIND = { marker: 'mark', event: 'ev', impression: 'imp' } as const;

/**
 * Events and impressions on the events table (pk S, sk S, TTL expiresAt):
 * - `event#{eventId}` / `id`: the idempotency marker, written with attribute_not_exists(pk); it holds the
 *   event as first sent, from which a repeat rewrites the (idempotent) timeline item, so a call that failed
 *   half-way is completed by the client's retry (dynalite has no transactions);
 * - `user#{userId}` / `ev#{sentAt}#{eventId}`: the user's timeline (Query newest first for the session arm);
 * - `user#{userId}` / `imp#{ts}#{recommendationId}`: served lists, next to the events they lead to.
 * Reports Scan the table with a filter on kind and time (a nightly job, not the request path).
 * Items stay small: ids ≤ 256 chars, properties ≤ 1 KB, impressions ≤ 500 item ids.
 */
export class DynamoEventStore implements EventStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
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
    // 1. claim each eventId with a conditional put; the marker keeps the first content ever sent
    const claims = await runBounded(
      events,
      10,
      async (e): Promise<{ event: StoredEvent; fresh: boolean }> => {
        try {
          await this.doc.send(
            new PutCommand({
              TableName: table,
              Item: this.markerItem(e),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
          return { event: e, fresh: true };
        } catch (err) {
          if (errorName(err) !== 'ConditionalCheckFailedException') throw toDependencyError('PutItem', err);
        }
        // a duplicate: its timeline item is rewritten from the claimed content below, which repairs an
        // earlier call that failed between the claim and the timeline write (dynalite has no transactions)
        const out = await dynamoCall('GetItem', () =>
          this.doc.send(
            new GetCommand({
              TableName: table,
              Key: { pk: `event#${e.eventId}`, sk: 'id' },
              ConsistentRead: true,
            }),
          ),
        );
        return { event: out.Item ? fromItem(out.Item) : e, fresh: false };
      },
    );
    // 2. the timeline items: idempotent puts keyed by the claimed content, so a repeat never adds one
    await batchWrite(
      this.doc,
      table,
      claims.map(({ event: e }) => ({
        PutRequest: {
          Item: {
            pk: `user#${e.userId}`,
            sk: `ev#${pad(e.sentAt)}#${e.eventId}`,
            kind: KIND.event,
            ...eventAttributes(e),
            expiresAt: this.expiresAt(e.sentAt),
          },
        },
      })),
      this.options.batch,
    );
    return {
      stored: claims.filter((c) => c.fresh).map((c) => c.event),
      duplicates: claims.filter((c) => !c.fresh).map((c) => c.event.eventId),
    };
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
    const out = await dynamoCall('Query', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ev)',
          ExpressionAttributeValues: { ':pk': `user#${userId}`, ':ev': 'ev#' },
          ScanIndexForward: false,
          Limit: limit,
        }),
      ),
    );
    return (out.Items ?? []).map(fromItem);
  }

  async putImpressions(impressions: readonly Impression[]): Promise<void> {
    // one BatchWriteItem per 25 lists; a key repeated within a call would be rejected, so keep the last
    const byKey = new Map<string, Item>();
    for (const impression of impressions) {
      const Item = {
        pk: `user#${impression.userId}`,
        sk: `imp#${pad(impression.ts)}#${impression.recommendationId}`,
        kind: KIND.impression,
        recommendationId: impression.recommendationId,
        userId: impression.userId,
        slot: impression.slot,
        experiment: impression.experiment,
        arm: impression.arm,
        items: [...impression.items],
        ts: impression.ts,
        expiresAt: this.expiresAt(impression.ts),
      };
      byKey.set(`${Item.pk}\u0000${Item.sk}`, Item);
    }
    await batchWrite(
      this.doc,
      this.options.tableName,
      [...byKey.values()].map((Item) => ({ PutRequest: { Item } })),
      this.options.batch,
    );
  }

  async eventsBetween(from: number, to: number): Promise<StoredEvent[]> {
    return (await this.scanKind(KIND.event, from, to)).map(fromItem);
  }

  async impressionsBetween(from: number, to: number): Promise<Impression[]> {
    return (await this.scanKind(KIND.impression, from, to)).map((i) => ({
      recommendationId: i.recommendationId as string,
      userId: i.userId as string,
      slot: i.slot as string,
      experiment: i.experiment as string,
      arm: i.arm as string,
      items: (i.items as string[] | undefined) ?? [],
      ts: i.ts as number,
    }));
  }

  /** A parallel Scan filtered on kind and ts (reports only). */
  private async scanKind(kind: string, from: number, to: number): Promise<Item[]> {
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
                FilterExpression: '#k = :k AND #ts >= :from AND #ts < :to',
                ExpressionAttributeNames: { '#k': 'kind', '#ts': 'ts' },
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
    userId: e.userId,
    sessionId: e.sessionId,
    eventType: e.eventType,
    rawEventType: e.rawEventType,
    itemId: e.itemId,
    ts: e.sentAt,
  };
  if (e.recommendationId !== undefined) a.recommendationId = e.recommendationId;
  if (e.properties !== undefined) a.properties = e.properties;
  return a;
}

function fromItem(i: Item): StoredEvent {
  const e: { -readonly [K in keyof StoredEvent]: StoredEvent[K] } = {
    eventId: i.eventId as string,
    userId: i.userId as string,
    sessionId: i.sessionId as string,
    eventType: i.eventType as EventType,
    rawEventType: i.rawEventType as string,
    itemId: i.itemId as string,
    sentAt: i.ts as number,
  };
  if (typeof i.recommendationId === 'string') e.recommendationId = i.recommendationId;
  if (typeof i.properties === 'string') e.properties = i.properties;
  return e;
}
