import { PutEventsCommand, type PersonalizeEventsClient } from '@aws-sdk/client-personalize-events';
import type { StoredEvent } from '../../domain/events/events.js';
import { DependencyError } from '../../domain/errors.js';
import type { EventTracker } from '../../ports/events.js';

/**
 * Amazon Personalize PutEvents behind the EventTracker port, so the Personalize arm learns from events
 * in real time. Events are sent with the shop's own type names (what the interactions dataset uses).
 */
export class PersonalizeEventTracker implements EventTracker {
  constructor(
    private readonly client: PersonalizeEventsClient,
    private readonly options: { readonly trackingId: string },
  ) {}

  async track(batch: { userId?: string; sessionId: string; events: readonly StoredEvent[] }): Promise<void> {
    if (batch.events.length === 0) return;
    try {
      await this.client.send(
        new PutEventsCommand({
          trackingId: this.options.trackingId,
          // omitted for an anonymous visitor: Personalize ties the session to the user once one is sent
          ...(batch.userId !== undefined ? { userId: batch.userId } : {}),
          sessionId: batch.sessionId,
          eventList: batch.events.map((e) => ({
            eventId: e.eventId,
            eventType: e.rawEventType,
            itemId: e.itemId,
            sentAt: new Date(e.sentAt),
            ...(e.recommendationId ? { recommendationId: e.recommendationId } : {}),
            ...(e.properties ? { properties: e.properties } : {}),
          })),
        }),
      );
    } catch (err) {
      throw new DependencyError('personalize-events', `PutEvents failed: ${(err as Error).message}`);
    }
  }
}
