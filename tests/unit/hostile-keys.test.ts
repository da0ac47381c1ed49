import { describe, expect, it } from 'vitest';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/event-store.js';
import {
  DEFAULT_EVENT_TYPE_MAPPING,
  parseEventBatch,
  type StoredEvent,
} from '../../shared/domain/events/events.js';
import { DEFAULT_EXPERIMENTS } from '../../shared/domain/experiments/experiments.js';
import { renderAbReportSvg } from '../../shared/adapters/charts/echarts-svg.js';
import { buildAbReport, formatAbReportTable } from '../../shared/domain/measurement/ab-report.js';
import { canonicalEventType } from '../../shared/domain/measurement/simulation.js';
import { parseRecommendationRequest } from '../../shared/domain/recommend/request.js';
import { scoreRecentEvents } from '../../shared/domain/recommend/session-scoring.js';
import { abReport } from '../../shared/use-cases/events.js';
import { recommend } from '../../shared/use-cases/recommend.js';
import { useDynalite } from '../helpers/dynalite.js';
import { items, memoryDeps } from '../helpers/request-path.js';
import { rejected } from '../helpers/rejected.js';

// Names of Object.prototype members: a plain-object lookup `obj[name]` finds them on every object.
const INHERITED = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];

const NOW = Date.UTC(2026, 10, 28, 12);
const dynamo = useDynalite('hostile');

describe('values named like Object.prototype members', () => {
  it.each(INHERITED)('rejects the eventType %s naming the field', (eventType) => {
    const body = {
      userId: 'u1',
      sessionId: 's1',
      eventList: [{ eventId: 'e1', eventType, itemId: 'i1', sentAt: (NOW - 1000) / 1000 }],
    };
    const options = {
      now: NOW,
      maxSkewMs: 300_000,
      maxAgeMs: 86_400_000,
      mapping: DEFAULT_EVENT_TYPE_MAPPING,
    };
    expect(rejected(() => parseEventBatch(body, options))).toBe('eventList[0].eventType');
  });

  it('answers the A/B report over stored events, slots and arms named __proto__ and constructor', async () => {
    const store = new DynamoEventStore(dynamo.doc(), {
      tableName: await dynamo.freshTable('events'),
      ttlDays: 90,
    });
    const served = NOW - 3_600_000;
    const names = ['__proto__', 'constructor', 'home'];
    await store.putImpressions(
      names.map((slot, k) => ({
        recommendationId: `r${k}`,
        userId: 'u1',
        slot,
        experiment: 'x',
        arm: names[(k + 1) % names.length],
        items: ['i1'],
        ts: served,
      })),
    );
    // written straight to the store, as an older mapping or a hand-edited item could have left them
    const stored = names.flatMap((eventType, k): StoredEvent[] =>
      names.map((_, r) => ({
        eventId: `e${k}-${r}`,
        userId: 'u1',
        sessionId: 's',
        eventType: eventType as StoredEvent['eventType'],
        rawEventType: eventType,
        itemId: 'i1',
        sentAt: served + 1000,
        recommendationId: `r${r}`,
      })),
    );
    await store.putEvents(stored);
    const report = await abReport(
      { events: store, experiments: DEFAULT_EXPERIMENTS, windowMs: 86_400_000 },
      { since: '1d' },
      NOW,
    );
    expect(report.slots.map((s) => [s.slot, s.arms.map((a) => a.arm)])).toEqual([
      ['__proto__', ['constructor']],
      ['constructor', ['home']],
      ['home', ['__proto__']],
    ]);
    expect(report.attribution.direct).toBe(9);
    expect(report.slots.every((s) => s.arms[0].impressions === 1 && s.arms[0].events.view === 0)).toBe(true);
  });

  it('answers the A/B report, its tables and chart over stored lists and events of the wrong types', async () => {
    const store = new DynamoEventStore(dynamo.doc(), {
      tableName: await dynamo.freshTable('events'),
      ttlDays: 90,
    });
    const served = NOW - 3_600_000;
    const list = {
      recommendationId: 'r1',
      userId: 'u1',
      slot: 'home',
      experiment: 'x',
      arm: 'cf',
      items: ['i1'],
    };
    // what a hand-written item or another writer could leave in the table
    const odd = [
      { ...list, recommendationId: 'r2', slot: 5 },
      { ...list, recommendationId: 'r3', arm: null },
      { ...list, recommendationId: 'r4', items: [1, { a: 1 }, 'i1'] },
      { ...list, recommendationId: 7 },
    ];
    await store.putImpressions([{ ...list, ts: served }, ...odd.map((o) => ({ ...o, ts: served }))] as never);
    const event = {
      eventId: 'e',
      userId: 'u1',
      sessionId: 's',
      rawEventType: 'x',
      itemId: 'i1',
      sentAt: served + 1,
    };
    await store.putEvents([
      { ...event, eventId: 'e1', eventType: 7, recommendationId: 'r1' },
      { ...event, eventId: 'e2', eventType: 'view', recommendationId: 'r4' },
    ] as never);
    const report = await abReport(
      { events: store, experiments: DEFAULT_EXPERIMENTS, windowMs: 86_400_000 },
      { since: '1d' },
      NOW,
    );
    expect(
      report.slots.map((s) => [s.slot, s.arms.map((a) => [a.arm, a.impressions, a.events.view])]),
    ).toEqual([['home', [['cf', 2, 1]]]]);
    expect(formatAbReportTable(report)).toContain('slot home');
    expect(renderAbReportSvg(report)).toContain('<svg');
  });

  it('builds the A/B report from any adapter while skipping a list of the wrong types', () => {
    const good = {
      recommendationId: 'r1',
      userId: 'u1',
      slot: 'home',
      experiment: 'x',
      arm: 'cf',
      items: ['i1'],
      ts: NOW,
    };
    const bad = { ...good, recommendationId: 'r2', items: 5 };
    const view = {
      eventId: 'e',
      userId: 'u1',
      sessionId: 's',
      eventType: 'view' as const,
      rawEventType: 'view',
      itemId: 'i1',
      sentAt: NOW + 1,
    };
    const report = buildAbReport([view], [bad, good] as never, {
      since: NOW - 1,
      until: NOW + 2,
      windowMs: 86_400_000,
    });
    expect(report.slots[0].arms.map((a) => [a.arm, a.impressions, a.events.view])).toEqual([['cf', 1, 1]]);
  });

  it.each(INHERITED)('rejects the report slot %s as unknown', async (slot) => {
    const store = new DynamoEventStore(dynamo.doc(), {
      tableName: await dynamo.freshTable('events'),
      ttlDays: 90,
    });
    const deps = { events: store, experiments: DEFAULT_EXPERIMENTS, windowMs: 86_400_000 };
    await expect(abReport(deps, { slot }, NOW)).rejects.toMatchObject({ parameter: 'slot' });
  });

  it('rejects the recommendations slot constructor as unknown', async () => {
    const { deps } = await memoryDeps({ segmentLists: [{ segment: 'global', items: items('g', 5) }] });
    const request = parseRecommendationRequest('u1', { slot: 'constructor' }, 5);
    await expect(recommend(deps, request)).rejects.toMatchObject({ status: 400, parameter: 'slot' });
  });

  it('weighs a recent event of an unknown stored type like a view', () => {
    const neighbours = new Map([['a', [{ itemId: 'b', score: 0.5 }]]]);
    const scored = (eventType: string) =>
      scoreRecentEvents([{ itemId: 'a', eventType }], neighbours, 5, { positionDecay: 0.85 });
    expect(scored('constructor')).toEqual(scored('view'));
  });

  it('counts a dataset event type named constructor as a view in the simulator', () => {
    expect(INHERITED.map(canonicalEventType)).toEqual(['view', 'view', 'view', 'view']);
  });
});
