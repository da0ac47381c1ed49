import type { Impression, StoredEvent } from '../../domain/events/events.js';
import type { EventStore } from '../../ports/events.js';

/** In-memory EventStore: the reference semantics for the contract tests and unit tests. */
export class MemoryEventStore implements EventStore {
  private readonly events = new Map<string, StoredEvent>();
  private readonly impressions = new Map<string, Impression>();

  async putEvents(events: readonly StoredEvent[]): Promise<{ stored: StoredEvent[]; duplicates: string[] }> {
    const stored: StoredEvent[] = [];
    const duplicates: string[] = [];
    for (const e of events) {
      if (this.events.has(e.eventId)) {
        duplicates.push(e.eventId);
        continue;
      }
      this.events.set(e.eventId, { ...e });
      stored.push(e);
    }
    return { stored, duplicates };
  }

  async recentEvents(userId: string, limit: number): Promise<StoredEvent[]> {
    return [...this.events.values()]
      .filter((e) => e.userId === userId)
      .sort((a, b) => b.sentAt - a.sentAt || (a.eventId < b.eventId ? 1 : -1))
      .slice(0, limit)
      .map((e) => ({ ...e }));
  }

  async sessionEvents(sessionId: string, limit: number): Promise<StoredEvent[]> {
    return [...this.events.values()]
      .filter((e) => e.sessionId === sessionId)
      .sort((a, b) => b.sentAt - a.sentAt || (a.eventId < b.eventId ? 1 : -1))
      .slice(0, limit)
      .map((e) => ({ ...e }));
  }

  async assignToUser(userId: string, events: readonly StoredEvent[]): Promise<void> {
    for (const e of events) {
      const stored = this.events.get(e.eventId);
      if (stored && stored.userId === undefined) this.events.set(e.eventId, { ...stored, userId });
    }
  }

  async putImpressions(impressions: readonly Impression[]): Promise<void> {
    for (const i of impressions) this.impressions.set(i.recommendationId, { ...i, items: [...i.items] });
  }

  async eventsBetween(from: number, to: number): Promise<StoredEvent[]> {
    return [...this.events.values()].filter((e) => e.sentAt >= from && e.sentAt < to).map((e) => ({ ...e }));
  }

  async impressionsBetween(from: number, to: number): Promise<Impression[]> {
    return [...this.impressions.values()]
      .filter((i) => i.ts >= from && i.ts < to)
      .map((i) => ({ ...i, items: [...i.items] }));
  }
}
