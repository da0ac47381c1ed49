import type { EventTracker } from '../../ports/events.js';

/**
 * PutEvents through a lazily imported adapter: the Personalize events SDK is loaded on the first
 * tracked event only, so handlers that never track pay no init time for it.
 */
export function lazyEventTracker(trackingId: string, region: string): EventTracker {
  let tracker: Promise<EventTracker> | undefined;
  return {
    async track(batch) {
      tracker ??= (async () => {
        const [{ PersonalizeEventsClient }, { PersonalizeEventTracker }] = await Promise.all([
          import('@aws-sdk/client-personalize-events'),
          import('./personalize-events.js'),
        ]);
        return new PersonalizeEventTracker(new PersonalizeEventsClient({ region }), { trackingId });
      })();
      return (await tracker).track(batch);
    },
  };
}
