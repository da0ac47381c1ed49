/**
 * The export of accepted events to training data: one JSON line per event, written by the event export
 * (Kinesis Data Firehose on AWS, a folder locally) under day partitions `events/dt=YYYY-MM-DD/`, and merged
 * by the nightly Prepare step into the run's snapshot as CSV in the interactions schema, deduplicated by
 * eventId. Pure functions only: the adapters and the pipeline do the I/O.
 */
import type { IdentifiedEvent } from './events.js';

/** Where exported events live in the artifact store (the Firehose prefix on AWS). */
export const EVENT_EXPORT_PREFIX = 'events/';

/** UTC day of an epoch-ms time, `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The partition prefix of a day, as Firehose writes it with `dt=!{timestamp:yyyy-MM-dd}`. */
export function exportPartition(ms: number): string {
  return `${EVENT_EXPORT_PREFIX}dt=${utcDay(ms)}/`;
}

/** One exported event: what training needs, nothing more (properties and attribution stay in DynamoDB). */
export interface ExportedEvent {
  readonly eventId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly itemId: string;
  /** The shop's own type name, as its interactions.csv would carry it. */
  readonly eventType: string;
  /** Epoch ms. */
  readonly sentAt: number;
}

/** The JSON line of one event (newline-terminated, so concatenated Firehose records stay splittable). */
export function exportRecord(e: IdentifiedEvent): string {
  const out: ExportedEvent = {
    eventId: e.eventId,
    userId: e.userId,
    sessionId: e.sessionId,
    itemId: e.itemId,
    eventType: e.rawEventType,
    sentAt: e.sentAt,
  };
  return `${JSON.stringify(out)}\n`;
}

const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Parses one exported line; undefined for a line that is not an exported event (counted, never fatal). */
export function parseExportRecord(line: string): ExportedEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (
    !isNonEmptyString(r.eventId) ||
    !isNonEmptyString(r.userId) ||
    !isNonEmptyString(r.itemId) ||
    typeof r.eventType !== 'string' ||
    typeof r.sentAt !== 'number' ||
    !Number.isFinite(r.sentAt)
  )
    return undefined;
  return {
    eventId: r.eventId,
    userId: r.userId,
    sessionId: typeof r.sessionId === 'string' ? r.sessionId : '',
    itemId: r.itemId,
    eventType: r.eventType,
    sentAt: r.sentAt,
  };
}

/** Header of the merged events CSV: the interactions schema plus the ids the loader ignores. */
export const EVENTS_CSV_HEADER = 'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_ID,SESSION_ID\n';

/** RFC 4180 quoting, only where a field needs it. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One CSV row of {@link EVENTS_CSV_HEADER}; TIMESTAMP in unix seconds as Personalize takes it. */
export function eventCsvRow(e: ExportedEvent): string {
  return `${csvField(e.userId)},${csvField(e.itemId)},${Math.floor(e.sentAt / 1000)},${csvField(e.eventType)},${csvField(e.eventId)},${csvField(e.sessionId)}\n`;
}

/** Counts of one merge, for the run record and the logs. */
export interface MergeStats {
  /** Exported lines read. */
  readonly read: number;
  /** Rows written to the snapshot (distinct eventIds inside the horizon). */
  readonly merged: number;
  /** Lines whose eventId was already merged (at-least-once delivery, client resends). */
  readonly duplicates: number;
  /** Events outside [from, to). */
  readonly outsideHorizon: number;
  /** Lines that are not exported events. */
  readonly malformed: number;
}

/**
 * Deduplicates exported events by eventId (the first line read wins, and files are read oldest first, so
 * that is the first delivery) and keeps those with sentAt in [from, to).
 */
export class EventMerger {
  private readonly seen = new Set<string>();
  private read = 0;
  private merged = 0;
  private duplicates = 0;
  private outsideHorizon = 0;
  private malformed = 0;

  constructor(
    private readonly from: number,
    private readonly to: number,
  ) {}

  /** The CSV row to merge for one exported line, or undefined when it is dropped (and counted). */
  accept(line: string): string | undefined {
    if (line.length === 0) return undefined;
    this.read++;
    const e = parseExportRecord(line);
    if (!e) {
      this.malformed++;
      return undefined;
    }
    if (e.sentAt < this.from || e.sentAt >= this.to) {
      this.outsideHorizon++;
      return undefined;
    }
    if (this.seen.has(e.eventId)) {
      this.duplicates++;
      return undefined;
    }
    this.seen.add(e.eventId);
    this.merged++;
    return eventCsvRow(e);
  }

  stats(): MergeStats {
    return {
      read: this.read,
      merged: this.merged,
      duplicates: this.duplicates,
      outsideHorizon: this.outsideHorizon,
      malformed: this.malformed,
    };
  }
}
