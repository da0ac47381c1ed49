import type { EventTracker } from '../../ports/events.js';

/** Deadlines of PutEvents. */
export interface EventTrackerOptions {
  /** Deadline of one attempt (connect and request). */
  readonly timeoutMs: number;
  /** Attempts per PutEvents call. */
  readonly maxAttempts: number;
}

/** PERSONALIZE_EVENTS_TIMEOUT_MS's default, two attempts. */
export const DEFAULT_EVENT_TRACKER_OPTIONS: EventTrackerOptions = { timeoutMs: 1000, maxAttempts: 2 };

/**
 * PutEvents through a lazily imported adapter: the Personalize events SDK is loaded on the first
 * tracked event only, so handlers that never track pay no init time for it. Every attempt has a
 * deadline, so a Personalize that does not answer cannot hold POST /events (the events are stored
 * first and the answer says `forwarded: false`).
 */
export function lazyEventTracker(
  trackingId: string,
  region: string,
  options: EventTrackerOptions = DEFAULT_EVENT_TRACKER_OPTIONS,
): EventTracker {
  let tracker: Promise<EventTracker> | undefined;
  return {
    async track(batch) {
      tracker ??= (async () => {
        const [{ PersonalizeEventsClient }, { PersonalizeEventTracker }] = await Promise.all([
          import('@aws-sdk/client-personalize-events'),
          import('./personalize-events.js'),
        ]);
        const client = new PersonalizeEventsClient({
          region,
          maxAttempts: options.maxAttempts,
          requestHandler: {
            connectionTimeout: options.timeoutMs,
            requestTimeout: options.timeoutMs,
            // without it a breached requestTimeout only logs a warning and the request keeps waiting
            throwOnRequestTimeout: true,
          },
        });
        return new PersonalizeEventTracker(client, { trackingId });
      })();
      return (await tracker).track(batch);
    },
  };
}
