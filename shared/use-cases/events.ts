import { LruCache } from '../domain/cache.js';
import {
  type EventType,
  type IdentifiedEvent,
  isIdentified,
  parseEventBatch,
  type StoredEvent,
} from '../domain/events/events.js';
import type { ExperimentConfig } from '../domain/experiments/experiments.js';
import { type AbReport, buildAbReport } from '../domain/measurement/ab-report.js';
import { ValidationError } from '../domain/errors.js';
import { hasOwnKey } from '../domain/own-property.js';
import type { EventExport, EventStore, EventTracker } from '../ports/events.js';

export interface IngestDeps {
  readonly events: EventStore;
  /** Where accepted events go for the next night's training (Firehose / a folder), when configured. */
  readonly eventExport?: EventExport;
  /** Personalize's event tracker when configured. */
  readonly eventTracker?: EventTracker;
  readonly eventTypeMapping: ReadonlyMap<string, EventType>;
  readonly maxSkewMs: number;
  readonly retentionMs: number;
  /** Where a forwarding failure is reported (it never fails the call). */
  readonly onTrackerError?: (err: unknown) => void;
  /** Sessions already given to a user in this process (see {@link SessionOwners}). */
  readonly sessionOwners?: SessionOwners;
}

/** How many of a session's latest events are searched for anonymous ones when a userId arrives. */
export const SESSION_LINK_EVENTS = 100;

/**
 * Sessions this process has already seen carry a userId (bounded LRU), so only a session's first
 * identified batch per process pays the Query for its anonymous events.
 */
export class SessionOwners {
  private readonly owners: LruCache<string, string>;
  constructor(capacity = 50_000) {
    this.owners = new LruCache(capacity);
  }
  owned(sessionId: string, userId: string): boolean {
    return this.owners.get(sessionId) === userId;
  }
  remember(sessionId: string, userId: string): void {
    this.owners.set(sessionId, userId);
  }
}

export interface IngestResult {
  /** Events accepted in the call. */
  readonly received: number;
  /** Newly stored. */
  readonly stored: number;
  /** eventIds stored before (idempotent repeat). */
  readonly duplicates: string[];
  /** Whether newly stored events were forwarded to Personalize (undefined when no tracker). */
  readonly forwarded?: boolean;
}

/**
 * POST /events: validates the whole batch (any bad field rejects it all), stores each new eventId once,
 * exports the batch for training, then forwards the newly stored events to Personalize. Storing comes
 * first; an export failure fails the call (503, the client resends, the store reports duplicates and
 * the export gets the events again); a Personalize failure is only reported.
 */
export async function ingestEvents(deps: IngestDeps, body: unknown, now = Date.now()): Promise<IngestResult> {
  const batch = parseEventBatch(body, {
    now,
    maxSkewMs: deps.maxSkewMs,
    maxAgeMs: deps.retentionMs,
    mapping: deps.eventTypeMapping,
  });
  const { stored, duplicates } = await deps.events.putEvents(batch.events);
  // Every accepted event is exported, duplicates too: if an earlier export failed (the client got a 503
  // and resends), the resend is what reaches training; the nightly merge keeps one per eventId.
  // anonymous events reach training once their session carries a userId (as Personalize trains on them)
  const identified = batch.events.filter(isIdentified);
  if (deps.eventExport && identified.length > 0) await deps.eventExport.export(identified);
  if (batch.userId !== undefined) await claimSession(deps, batch.userId, batch.sessionId);
  let forwarded: boolean | undefined;
  if (deps.eventTracker && stored.length > 0) {
    try {
      await deps.eventTracker.track({ userId: batch.userId, sessionId: batch.sessionId, events: stored });
      forwarded = true;
    } catch (err) {
      forwarded = false;
      deps.onTrackerError?.(err);
    }
  }
  return {
    received: batch.events.length,
    stored: stored.length,
    duplicates,
    ...(forwarded === undefined ? {} : { forwarded }),
  };
}

/**
 * A session that now carries a userId: its earlier anonymous events become the user's (the user's
 * session arm reads them, and the export sends them to training with the userId). Export first, then
 * the store: if the store write fails the client's resend finds the events still anonymous and repeats
 * both (the export is at least once; the nightly merge keeps one per eventId).
 */
async function claimSession(deps: IngestDeps, userId: string, sessionId: string): Promise<void> {
  if (deps.sessionOwners?.owned(sessionId, userId)) return;
  const anonymous = (await deps.events.sessionEvents(sessionId, SESSION_LINK_EVENTS)).filter(
    (e) => e.userId === undefined,
  );
  if (anonymous.length > 0) {
    const owned: IdentifiedEvent[] = anonymous.map((e) => ({ ...e, userId }));
    if (deps.eventExport) await deps.eventExport.export(owned);
    await deps.events.assignToUser(userId, anonymous);
  }
  deps.sessionOwners?.remember(sessionId, userId);
}

/** Bounds of `since`/`until`: what the report can mean, and what DynamoDB and Date can represent. */
export const REPORT_TIME_LIMITS = {
  /** Longest accepted text. */
  maxLength: 64,
  /** Longest relative duration (`36500d`, 100 years). */
  maxDays: 36_500,
  /** Latest accepted time: the end of year 9999 (Date's ISO range, exact as a DynamoDB number). */
  maxMs: Date.UTC(9999, 11, 31, 23, 59, 59, 999),
} as const;

/**
 * Parses `since`/`until` (ISO date-time, date, or a relative `24h` / `7d`) into epoch ms. Anything
 * longer than 64 characters, a duration over 100 years or a time outside 1970..9999 is a
 * ValidationError naming the parameter.
 */
export function parseTime(value: string, parameter: string, now: number): number {
  const rule = `${parameter} must be an ISO date(-time) from 1970 to 9999 or a duration like 24h or 7d (at most ${REPORT_TIME_LIMITS.maxDays}d)`;
  if (value.length > REPORT_TIME_LIMITS.maxLength) throw new ValidationError(rule, parameter);
  const rel = /^(\d+(?:\.\d+)?)([hd])$/.exec(value.trim());
  let ms: number;
  if (rel) {
    const days = Number(rel[1]) / (rel[2] === 'h' ? 24 : 1);
    if (!(days <= REPORT_TIME_LIMITS.maxDays)) throw new ValidationError(rule, parameter);
    ms = now - Math.round(days * 86_400_000);
  } else {
    ms = Date.parse(value);
  }
  if (!(ms >= 0 && ms <= REPORT_TIME_LIMITS.maxMs)) throw new ValidationError(rule, parameter);
  return ms;
}

export interface ReportQuery {
  readonly since?: string;
  readonly until?: string;
  readonly slot?: string;
  readonly control?: string;
}

/**
 * The A/B report over the events table: events in [since, until) (default: the last 7 days), attributed
 * to impressions served from one window before `since` on.
 */
export async function abReport(
  deps: { readonly events: EventStore; readonly experiments: ExperimentConfig; readonly windowMs: number },
  query: ReportQuery,
  now = Date.now(),
): Promise<AbReport> {
  const until = query.until ? parseTime(query.until, 'until', now) : now + 1;
  const since = query.since ? parseTime(query.since, 'since', now) : now - 7 * 86_400_000;
  if (!(since < until)) throw new ValidationError('since must be before until', 'since');
  if (query.slot !== undefined && !hasOwnKey(deps.experiments.slots, query.slot))
    throw new ValidationError(
      `unknown slot '${query.slot}'; configured: ${Object.keys(deps.experiments.slots).join(', ')}`,
      'slot',
    );
  const [events, impressions] = await Promise.all([
    deps.events.eventsBetween(since, until),
    deps.events.impressionsBetween(since - deps.windowMs, until),
  ]);
  return buildAbReport(events as StoredEvent[], impressions, {
    since,
    until,
    windowMs: deps.windowMs,
    slot: query.slot,
    experiments: deps.experiments,
    control: query.control,
  });
}

/** Where the nightly A/B step stores its outputs. */
export const AB_REPORT_KEYS = {
  record: 'ab-report#latest',
  json: (day: string) => `reports/ab/${day}.json`,
  svg: (day: string) => `reports/ab/${day}.svg`,
} as const;

/**
 * The nightly pipeline's A/B step: the report over the last `days` (default 7), stored as JSON and SVG
 * artifacts under reports/ab/{yyyy-mm-dd} and as the `ab-report#latest` state record for dashboards.
 */
export async function publishAbReport(
  deps: {
    readonly events: EventStore;
    readonly experiments: ExperimentConfig;
    readonly windowMs: number;
    readonly state: { putRecord(key: string, value: unknown): Promise<void> };
    readonly artifacts: { put(key: string, bytes: Uint8Array | string): Promise<void> };
  },
  input: { days?: number } = {},
  now = Date.now(),
): Promise<{ json: string; svg: string; slots: number; impressions: number }> {
  const { renderAbReportSvg } = await import('../adapters/charts/echarts-svg.js');
  const days = input.days ?? 7;
  if (!(days > 0 && days <= 366)) throw new ValidationError('days must be in (0, 366]', 'days');
  const report = await abReport(deps, { since: `${days}d` }, now);
  const day = new Date(now).toISOString().slice(0, 10);
  const json = AB_REPORT_KEYS.json(day);
  const svg = AB_REPORT_KEYS.svg(day);
  await deps.artifacts.put(json, JSON.stringify(report));
  await deps.artifacts.put(svg, renderAbReportSvg(report));
  await deps.state.putRecord(AB_REPORT_KEYS.record, report);
  const impressions = report.slots.reduce((s, sl) => s + sl.arms.reduce((t, a) => t + a.impressions, 0), 0);
  return { json, svg, slots: report.slots.length, impressions };
}
