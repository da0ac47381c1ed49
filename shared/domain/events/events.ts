import { ValidationError } from '../errors.js';
import { idProblem, MAX_ID_LENGTH } from '../ids.js';

/** The canonical event types osusume measures (the talk's view, favorite and add-to-cart rates, plus purchase). */
export const EVENT_TYPES = ['view', 'favorite', 'cart', 'purchase'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Whether `value` is one of the canonical EVENT_TYPES (a stored or sent value may be anything). */
export function isEventType(value: unknown): value is EventType {
  return (EVENT_TYPES as readonly unknown[]).includes(value);
}

/**
 * Default mapping of incoming event type names to canonical types (identity); EVENT_TYPE_MAPPING adds
 * aliases. A Map, because the names come from requests: a plain object would map `constructor` too.
 */
export const DEFAULT_EVENT_TYPE_MAPPING: ReadonlyMap<string, EventType> = new Map(
  EVENT_TYPES.map((t) => [t, t]),
);

/** Limits of POST /events (Personalize PutEvents allows 10 events per call). */
export const EVENT_LIMITS = {
  maxEvents: 10,
  maxIdLength: MAX_ID_LENGTH,
  /** Properties are stored as a JSON string; a bound keeps DynamoDB items far below 400 KB. */
  maxPropertiesBytes: 1024,
  /** Nesting levels of properties (Personalize's are flat); checked before any recursive work on them. */
  maxPropertiesDepth: 16,
} as const;

/**
 * Why `value` cannot become JSON of at most `maxBytes` with at most `maxDepth` levels of nesting, or
 * undefined when it can. An explicit stack, not recursion, and it stops as soon as a bound is passed,
 * so hostile input (5,000 levels, a million keys) costs O(maxBytes) and never the call stack: every
 * node adds at least one character to the size counted, which never exceeds the size JSON.stringify makes.
 */
export function jsonBoundsExceeded(
  value: unknown,
  maxBytes: number,
  maxDepth: number,
): 'size' | 'depth' | undefined {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  let size = 0;
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v === 'string') size += v.length + 2;
    else if (typeof v === 'number') size += Number.isFinite(v) ? String(v).length : 4;
    else if (typeof v === 'boolean' || v === null) size += String(v).length;
    else if (typeof v === 'object') {
      if (depth >= maxDepth) return 'depth';
      // brackets, and the commas between entries
      const entries = Array.isArray(v) ? v.length : Object.keys(v).length;
      size += 2 + Math.max(0, entries - 1);
      if (size > maxBytes) return 'size';
      if (Array.isArray(v)) {
        for (const x of v) stack.push({ v: x, depth: depth + 1 });
      } else {
        for (const [k, x] of Object.entries(v)) {
          size += k.length + 3;
          stack.push({ v: x, depth: depth + 1 });
          if (size > maxBytes) return 'size';
        }
      }
    }
    if (size > maxBytes) return 'size';
  }
  return undefined;
}

/** One stored interaction event (what the events table and the reports see). */
export interface StoredEvent {
  readonly eventId: string;
  /** Absent for an anonymous visitor's event (a sessionId alone, as Personalize PutEvents allows). */
  readonly userId?: string;
  readonly sessionId: string;
  /** Canonical type. */
  readonly eventType: EventType;
  /** The type name as sent (forwarded to Personalize, which learns on the shop's own names). */
  readonly rawEventType: string;
  readonly itemId: string;
  /** When the event happened, epoch milliseconds. */
  readonly sentAt: number;
  readonly recommendationId?: string;
  /** Free-form properties as a JSON object string (Personalize's format). */
  readonly properties?: string;
}

/** An event that carries a userId (what training and the export take). */
export type IdentifiedEvent = StoredEvent & { readonly userId: string };

/** Whether the event carries a userId. */
export function isIdentified(e: StoredEvent): e is IdentifiedEvent {
  return e.userId !== undefined;
}

/**
 * The id a visitor is served and measured under: the userId, or for an anonymous visitor the sessionId
 * (as Personalize serves anonymous sessions: the sessionId in place of the userId).
 */
export function visitorId(e: StoredEvent): string {
  return e.userId ?? e.sessionId;
}

/** A validated POST /events body. */
export interface EventBatch {
  /** Absent for an anonymous visitor. */
  readonly userId?: string;
  readonly sessionId: string;
  readonly events: StoredEvent[];
}

export interface ParseEventsOptions {
  /** Current time, epoch ms. */
  readonly now: number;
  /** How far in the future sentAt may be (client clock skew), ms. */
  readonly maxSkewMs: number;
  /** How far in the past sentAt may be, ms (older events would expire at once). */
  readonly maxAgeMs: number;
  /** Incoming type name (lower-cased) → canonical type. */
  readonly mapping: ReadonlyMap<string, EventType>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function id(value: unknown, parameter: string): string {
  if (typeof value !== 'string') throw new ValidationError(`${parameter} must be a string`, parameter);
  const problem = idProblem(value);
  if (problem) throw new ValidationError(`${parameter} ${problem}`, parameter);
  return value;
}

/** sentAt as ISO-8601 (with a time zone) or unix seconds → epoch ms; undefined when unparseable. */
export function parseSentAt(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  if (typeof value !== 'string') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  // a date without a zone would depend on the server's zone: require one
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Validates a POST /events body (modelled on Personalize PutEvents). Any invalid field rejects the whole
 * batch with a ValidationError naming the event index and field (e.g. `eventList[2].sentAt`), so the
 * client can fix and resend it as one unit.
 */
export function parseEventBatch(body: unknown, options: ParseEventsOptions): EventBatch {
  if (!isObject(body)) throw new ValidationError('the body must be a JSON object', 'body');
  // as PutEvents: an anonymous visitor sends a sessionId alone
  const userId = body.userId === undefined || body.userId === null ? undefined : id(body.userId, 'userId');
  const sessionId = id(body.sessionId, 'sessionId');
  const list = body.eventList;
  if (!Array.isArray(list)) throw new ValidationError('eventList must be an array', 'eventList');
  if (list.length < 1 || list.length > EVENT_LIMITS.maxEvents)
    throw new ValidationError(
      `eventList must hold 1 to ${EVENT_LIMITS.maxEvents} events, got ${list.length}`,
      'eventList',
    );
  const seen = new Set<string>();
  const events = list.map((raw, i): StoredEvent => {
    const at = (field: string) => `eventList[${i}].${field}`;
    if (!isObject(raw)) throw new ValidationError(`eventList[${i}] must be an object`, `eventList[${i}]`);
    const eventId = id(raw.eventId, at('eventId'));
    if (seen.has(eventId))
      throw new ValidationError(`${at('eventId')} repeats an eventId of this batch`, at('eventId'));
    seen.add(eventId);
    const rawEventType = id(raw.eventType, at('eventType'));
    const eventType = options.mapping.get(rawEventType.toLowerCase());
    if (!eventType)
      throw new ValidationError(
        `${at('eventType')} '${rawEventType}' is not one of ${[...options.mapping.keys()].join(', ')}`,
        at('eventType'),
      );
    const itemId = id(raw.itemId, at('itemId'));
    const sentAt = parseSentAt(raw.sentAt);
    if (sentAt === undefined)
      throw new ValidationError(
        `${at('sentAt')} must be an ISO-8601 date-time with a zone or unix seconds`,
        at('sentAt'),
      );
    if (sentAt > options.now + options.maxSkewMs)
      throw new ValidationError(`${at('sentAt')} is in the future`, at('sentAt'));
    if (sentAt < options.now - options.maxAgeMs)
      throw new ValidationError(`${at('sentAt')} is older than the event retention`, at('sentAt'));
    const event: {
      -readonly [K in keyof StoredEvent]: StoredEvent[K];
    } = { eventId, sessionId, eventType, rawEventType, itemId, sentAt };
    if (userId !== undefined) event.userId = userId;
    if (raw.recommendationId !== undefined && raw.recommendationId !== null)
      event.recommendationId = id(raw.recommendationId, at('recommendationId'));
    if (raw.properties !== undefined && raw.properties !== null) {
      // Personalize takes properties as a JSON string; accept an object or such a string
      let props: unknown = raw.properties;
      if (typeof props === 'string') {
        // Personalize's own bound on the string, checked before parsing it
        if (Buffer.byteLength(props) > EVENT_LIMITS.maxPropertiesBytes)
          throw new ValidationError(
            `${at('properties')} exceeds ${EVENT_LIMITS.maxPropertiesBytes} bytes`,
            at('properties'),
          );
        try {
          props = JSON.parse(props);
        } catch {
          throw new ValidationError(`${at('properties')} is not valid JSON`, at('properties'));
        }
      }
      if (!isObject(props))
        throw new ValidationError(`${at('properties')} must be a JSON object`, at('properties'));
      const exceeded = jsonBoundsExceeded(
        props,
        EVENT_LIMITS.maxPropertiesBytes,
        EVENT_LIMITS.maxPropertiesDepth,
      );
      if (exceeded === 'depth')
        throw new ValidationError(
          `${at('properties')} is nested deeper than ${EVENT_LIMITS.maxPropertiesDepth} levels`,
          at('properties'),
        );
      if (exceeded === 'size')
        throw new ValidationError(
          `${at('properties')} exceeds ${EVENT_LIMITS.maxPropertiesBytes} bytes`,
          at('properties'),
        );
      // within both bounds, so JSON.stringify's recursion is shallow and its output small
      const text = JSON.stringify(props);
      if (Buffer.byteLength(text) > EVENT_LIMITS.maxPropertiesBytes)
        throw new ValidationError(
          `${at('properties')} exceeds ${EVENT_LIMITS.maxPropertiesBytes} bytes`,
          at('properties'),
        );
      event.properties = text;
    }
    return event;
  });
  return { userId, sessionId, events };
}

/**
 * Parses EVENT_TYPE_MAPPING (JSON object: incoming name → canonical type), merged over the identity
 * mapping; e.g. `{"pv":"view","fav":"favorite","buy":"purchase"}` for Taobao-style names.
 */
export function parseEventTypeMapping(json: string | undefined): Map<string, EventType> {
  const out = new Map(DEFAULT_EVENT_TYPE_MAPPING);
  if (json === undefined || json.trim() === '') return out;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new ValidationError(
      `EVENT_TYPE_MAPPING is not valid JSON: ${(err as Error).message}`,
      'EVENT_TYPE_MAPPING',
    );
  }
  if (!isObject(raw))
    throw new ValidationError('EVENT_TYPE_MAPPING must be a JSON object', 'EVENT_TYPE_MAPPING');
  for (const [name, target] of Object.entries(raw)) {
    if (!isEventType(target))
      throw new ValidationError(
        `EVENT_TYPE_MAPPING: '${name}' maps to '${String(target)}', not one of ${EVENT_TYPES.join(', ')}`,
        'EVENT_TYPE_MAPPING',
      );
    out.set(name.toLowerCase(), target);
  }
  return out;
}

/** One served recommendation list, as recorded for attribution. */
export interface Impression {
  readonly recommendationId: string;
  readonly userId: string;
  readonly slot: string;
  readonly experiment: string;
  readonly arm: string;
  readonly items: readonly string[];
  /** Served at, epoch ms. */
  readonly ts: number;
}
