import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { FirehoseEventExport } from '../../shared/adapters/firehose/firehose-event-export.js';
import { ArtifactEventExport } from '../../shared/adapters/local/artifact-event-export.js';
import { FolderArtifactStore } from '../../shared/adapters/local/folder-artifact-store.js';
import { MemoryEventStore } from '../../shared/adapters/memory/event-store.js';
import { parseConfig } from '../../shared/config/config.js';
import { loadDatasetFromStreams } from '../../shared/domain/data/loader.js';
import { DEFAULT_EVENT_TYPE_MAPPING, type IdentifiedEvent } from '../../shared/domain/events/events.js';
import {
  EventMerger,
  eventCsvRow,
  exportRecord,
  parseExportRecord,
} from '../../shared/domain/events/export.js';
import { DependencyError } from '../../shared/domain/errors.js';
import { buildEventExport } from '../../shared/event-export-container.js';
import { mergeExportedEvents } from '../../shared/pipeline/event-merge.js';
import type { EventExport } from '../../shared/ports/events.js';
import { ingestEvents, SessionOwners } from '../../shared/use-cases/events.js';
import { TABLES_ENV } from '../helpers/config-env.js';

const NOW = Date.UTC(2026, 10, 28, 12);
const DAY = 86_400_000;

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function store(): Promise<FolderArtifactStore> {
  const dir = await mkdtemp(join(tmpdir(), 'osusume-export-'));
  dirs.push(dir);
  return new FolderArtifactStore(dir);
}

const ev = (eventId: string, sentAt = NOW - 1000, extra: Partial<IdentifiedEvent> = {}): IdentifiedEvent => ({
  eventId,
  userId: 'u1',
  sessionId: 's1',
  eventType: 'purchase',
  rawEventType: 'buy',
  itemId: `i-${eventId}`,
  sentAt,
  ...extra,
});

const ingestDeps = (eventExport?: EventExport) => ({
  events: new MemoryEventStore(),
  eventExport,
  eventTypeMapping: new Map([...DEFAULT_EVENT_TYPE_MAPPING, ['buy', 'purchase' as const]]),
  maxSkewMs: 300_000,
  retentionMs: 90 * DAY,
});
const body = (ids: string[]) => ({
  userId: 'u1',
  sessionId: 's1',
  eventList: ids.map((eventId) => ({
    eventId,
    eventType: 'buy',
    itemId: `i-${eventId}`,
    sentAt: NOW / 1000 - 5,
  })),
});

describe('exported event records', () => {
  it('round-trips an event with the shop type name and sentAt', () => {
    const line = exportRecord(ev('e1'));
    expect(line.endsWith('\n')).toBe(true);
    expect(parseExportRecord(line)).toEqual({
      eventId: 'e1',
      userId: 'u1',
      sessionId: 's1',
      itemId: 'i-e1',
      eventType: 'buy',
      sentAt: NOW - 1000,
    });
  });

  it('rejects a line that is not an exported event', () => {
    for (const line of ['not json', '[]', 'null', '{"eventId":"e","userId":"u"}', '{"__proto__":{"x":1}}'])
      expect(parseExportRecord(line)).toBeUndefined();
  });

  it('quotes CSV fields holding commas or quotes', () => {
    const row = eventCsvRow({ ...parseExportRecord(exportRecord(ev('e,1', NOW, { userId: 'a"b' })))! });
    expect(row).toBe(`"a""b","i-e,1",${Math.floor(NOW / 1000)},buy,"e,1",s1\n`);
  });
});

describe('EventMerger', () => {
  it('keeps the first line of each eventId and counts the repeats', () => {
    const m = new EventMerger(0, NOW);
    const first = m.accept(exportRecord(ev('a', NOW - 10, { itemId: 'first' })).trimEnd());
    const again = m.accept(exportRecord(ev('a', NOW - 5, { itemId: 'second' })).trimEnd());
    expect(first).toContain('first');
    expect(again).toBeUndefined();
    expect(m.stats()).toMatchObject({ read: 2, merged: 1, duplicates: 1 });
  });

  it('drops events outside the training horizon', () => {
    const m = new EventMerger(NOW - DAY, NOW);
    expect(m.accept(exportRecord(ev('old', NOW - 2 * DAY)).trimEnd())).toBeUndefined();
    expect(m.accept(exportRecord(ev('future', NOW + 1)).trimEnd())).toBeUndefined();
    expect(m.stats()).toMatchObject({ merged: 0, outsideHorizon: 2 });
  });

  it('counts a malformed line without failing the merge', () => {
    const m = new EventMerger(0, NOW);
    expect(m.accept('{"half":')).toBeUndefined();
    expect(m.stats().malformed).toBe(1);
  });
});

describe('the folder export and the nightly merge', () => {
  it('writes one object per export under the day partition of its arrival', async () => {
    const artifacts = await store();
    await new ArtifactEventExport(artifacts, () => NOW).export([ev('a'), ev('b')]);
    const keys = await artifacts.list('events/');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^events\/dt=2026-11-28\/0*\d+-[0-9a-f-]+\.jsonl$/);
    const text = await readFile(artifacts.uri(keys[0] as string), 'utf8');
    expect(text.trimEnd().split('\n').map(parseExportRecord)).toHaveLength(2);
  });

  it('lists keys after startAfter in lexicographic order, skipping half-written files', async () => {
    const artifacts = await store();
    await artifacts.put('events/dt=2026-11-26/x.jsonl', '');
    await artifacts.put('events/dt=2026-11-28/y.jsonl', '');
    await artifacts.put('events/dt=2026-11-27/z.jsonl', '');
    await artifacts.put('events/dt=2026-11-28/w.jsonl.1.2.tmp', '');
    expect(await artifacts.list('events/', 'events/dt=2026-11-27')).toEqual([
      'events/dt=2026-11-27/z.jsonl',
      'events/dt=2026-11-28/y.jsonl',
    ]);
  });

  it('merges only the partitions of the horizon, deduplicated, into CSV parts the loader reads', async () => {
    const artifacts = await store();
    const exporter = (t: number) => new ArtifactEventExport(artifacts, () => t);
    await exporter(NOW - 40 * DAY).export([ev('ancient', NOW - 40 * DAY)]);
    await exporter(NOW - 2 * DAY).export([ev('a', NOW - 2 * DAY), ev('b', NOW - 2 * DAY)]);
    await exporter(NOW - 1000).export([ev('b', NOW - 2 * DAY), ev('c', NOW - 1000)]);
    const merged = await mergeExportedEvents(
      artifacts,
      'runs/v1/dataset',
      { from: NOW - 30 * DAY, to: NOW },
      2,
    );
    // the 40-day-old partition is never listed, so never read
    expect(merged.objects).toBe(2);
    expect(merged.stats).toMatchObject({ read: 4, merged: 3, duplicates: 1, outsideHorizon: 0 });
    expect(merged.parts).toEqual(['runs/v1/dataset/events-00000.csv', 'runs/v1/dataset/events-00001.csv']);
    const dataset = await loadDatasetFromStreams({
      interactions: {
        name: 'interactions.csv',
        stream: Readable.from(['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu2,i-x,1764300000,view\n']),
      },
      events: merged.parts.map((k) => ({ name: k, open: () => createReadStream(artifacts.uri(k)) })),
    });
    expect(dataset.interactions.length).toBe(4);
    expect(dataset.stats.events).toMatchObject({ rows: 3, skipped: 0 });
    expect([...dataset.users.ids].sort()).toEqual(['u1', 'u2']);
  });
});

describe('ingestEvents with an event export', () => {
  it('exports every accepted event, resent ones included', async () => {
    const exported: string[] = [];
    const deps = ingestDeps({
      export: async (events) => void exported.push(...events.map((e) => e.eventId)),
    });
    await ingestEvents(deps, body(['a']), NOW);
    const again = await ingestEvents(deps, body(['a', 'b']), NOW);
    expect(again.duplicates).toEqual(['a']);
    expect(exported).toEqual(['a', 'a', 'b']);
  });

  it("exports a session's anonymous events with the userId once the session carries one", async () => {
    const exported: string[] = [];
    const deps = {
      ...ingestDeps({
        export: async (events) => void exported.push(...events.map((e) => `${e.eventId}:${e.userId}`)),
      }),
      sessionOwners: new SessionOwners(),
    };
    const { userId: _, ...anonymous } = body(['a', 'b']);
    await ingestEvents(deps, anonymous, NOW);
    expect(exported).toEqual([]);
    await ingestEvents(deps, { ...body(['c']), userId: 'u9' }, NOW);
    expect(exported.sort()).toEqual(['a:u9', 'b:u9', 'c:u9']);
    expect((await deps.events.recentEvents('u9', 10)).map((e) => e.eventId).sort()).toEqual(['a', 'b', 'c']);
    // the session is known to be u9's now: a further batch adds only itself
    await ingestEvents(deps, { ...body(['d']), userId: 'u9' }, NOW);
    expect(exported).toHaveLength(4);
  });

  it('stores the events and fails the call when the export fails, so the client resends', async () => {
    const failing = {
      export: async () => {
        throw new DependencyError('firehose', 'unavailable');
      },
    };
    const deps = ingestDeps(failing);
    await expect(ingestEvents(deps, body(['a']), NOW)).rejects.toBeInstanceOf(DependencyError);
    expect((await deps.events.eventsBetween(0, NOW * 2)).map((e) => e.eventId)).toEqual(['a']);
  });
});

describe('FirehoseEventExport', () => {
  const noSleep = async () => undefined;

  it('sends each event as one newline-terminated JSON record', async () => {
    const mock = mockClient(FirehoseClient);
    mock.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [] });
    await new FirehoseEventExport(new FirehoseClient({}), 'osusume-events', noSleep).export([
      ev('a'),
      ev('b'),
    ]);
    const input = mock.commandCalls(PutRecordBatchCommand)[0]?.args[0].input;
    expect(input?.DeliveryStreamName).toBe('osusume-events');
    const lines = (input?.Records ?? []).map((r) => Buffer.from(r.Data as Uint8Array).toString());
    expect(lines.map((l) => parseExportRecord(l)?.eventId)).toEqual(['a', 'b']);
    mock.restore();
  });

  it('resends only the records Firehose reports as failed', async () => {
    const mock = mockClient(FirehoseClient);
    mock
      .on(PutRecordBatchCommand)
      .resolvesOnce({
        FailedPutCount: 1,
        RequestResponses: [{ RecordId: '1' }, { ErrorCode: 'ServiceUnavailableException' }],
      })
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: '2' }] });
    await new FirehoseEventExport(new FirehoseClient({}), 's', noSleep).export([ev('a'), ev('b')]);
    const second = mock.commandCalls(PutRecordBatchCommand)[1]?.args[0].input.Records ?? [];
    expect(
      second.map((r) => parseExportRecord(Buffer.from(r.Data as Uint8Array).toString())?.eventId),
    ).toEqual(['b']);
    mock.restore();
  });

  it('throws a DependencyError when records keep failing', async () => {
    const mock = mockClient(FirehoseClient);
    mock
      .on(PutRecordBatchCommand)
      .rejects(Object.assign(new Error('down'), { name: 'ServiceUnavailableException' }));
    await expect(
      new FirehoseEventExport(new FirehoseClient({}), 's', noSleep).export([ev('a')]),
    ).rejects.toBeInstanceOf(DependencyError);
    expect(mock.commandCalls(PutRecordBatchCommand)).toHaveLength(4);
    mock.restore();
  });

  it('splits more than 500 events into several calls', async () => {
    const mock = mockClient(FirehoseClient);
    mock.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0 });
    const many = Array.from({ length: 1201 }, (_, i) => ev(`e${i}`));
    await new FirehoseEventExport(new FirehoseClient({}), 's', noSleep).export(many);
    expect(mock.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input.Records?.length)).toEqual([
      500, 500, 201,
    ]);
    mock.restore();
  });
});

describe('buildEventExport', () => {
  const base = TABLES_ENV;

  it('exports to Firehose when a delivery stream is configured', () => {
    expect(buildEventExport(parseConfig({ ...base, EVENT_EXPORT_STREAM: 'osusume-events' }))).toBeDefined();
  });

  it('exports nowhere without a stream or an artifact folder', () => {
    expect(buildEventExport(parseConfig(base))).toBeUndefined();
  });

  it('fails at start when the firehose mode has no stream', () => {
    expect(() => buildEventExport(parseConfig({ ...base, EVENT_EXPORT: 'firehose' }))).toThrow(
      /EVENT_EXPORT_STREAM/,
    );
  });
});
