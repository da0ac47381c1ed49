import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import {
  PersonalizeEventsClient,
  PutItemsCommand,
  PutUsersCommand,
} from '@aws-sdk/client-personalize-events';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPipelineStateStore } from '../../shared/adapters/dynamodb/pipeline-state-store.js';
import { DynamoUserProfileStore } from '../../shared/adapters/dynamodb/user-profile-store.js';
import { FirehoseRecordExport } from '../../shared/adapters/firehose/firehose-event-export.js';
import { ArtifactRecordExport } from '../../shared/adapters/local/artifact-event-export.js';
import { FolderArtifactStore } from '../../shared/adapters/local/folder-artifact-store.js';
import {
  putItemsToPersonalize,
  putUsersToPersonalize,
} from '../../shared/adapters/personalize/personalize-catalog.js';
import {
  type CatalogKind,
  type CatalogWrite,
  catalogExportPartition,
  catalogExportRecord,
  parseCatalogBatch,
} from '../../shared/domain/catalog/catalog.js';
import { firstValue } from '../../shared/domain/data/dataset.js';
import { ValidationError } from '../../shared/domain/errors.js';
import type { UserProfileStore } from '../../shared/ports/stores.js';
import type { UserAttributes } from '../../shared/ports/types.js';
import { mergeCatalogWrites } from '../../shared/pipeline/catalog-merge.js';
import { loadSnapshot, runKeys } from '../../shared/pipeline/snapshot.js';
import { CachedProfiles } from '../../shared/use-cases/cached-profiles.js';
import { DATASET_COLUMNS_KEY, DatasetColumnsSource, putCatalog } from '../../shared/use-cases/catalog.js';
import { useDynalite } from '../helpers/dynalite.js';

const db = useDynalite('catalog');
const COLUMNS = { users: ['GENDER', 'AGE_GROUP', 'REGION'], items: ['CATEGORY', 'PRICE_BAND'] };
const NOW = Date.UTC(2026, 11, 1, 10);

/** The message and field of the ValidationError `fn` throws. */
function rejection(fn: () => unknown): { message: string; parameter?: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return { message: (err as ValidationError).message, parameter: (err as ValidationError).parameter };
  }
  throw new Error('expected a ValidationError');
}

const items = (...list: unknown[]) => ({ items: list });
const users = (...list: unknown[]) => ({ users: list });

describe('parseCatalogBatch', () => {
  const opts = (kind: CatalogKind) => ({ columns: COLUMNS[kind] });

  it('takes properties as a JSON string or an object, keys case-insensitive, arrays as a|b', () => {
    const records = parseCatalogBatch(
      'items',
      items(
        { itemId: 'i1', properties: '{"category":"shoes","Price_Band":"low"}' },
        { itemId: 'i2', properties: { CATEGORY: ['bags', 'shoes'] } },
      ),
      opts('items'),
    );
    expect(records.map((r) => [r.id, Object.fromEntries(r.properties)])).toEqual([
      ['i1', { CATEGORY: 'shoes', PRICE_BAND: 'low' }],
      ['i2', { CATEGORY: 'bags|shoes' }],
    ]);
  });

  it('rejects an unknown column naming the record index and property', () => {
    const ok = [0, 1, 2].map((n) => ({ itemId: `i${n}`, properties: { CATEGORY: 'x' } }));
    const err = rejection(() =>
      parseCatalogBatch('items', items(...ok, { itemId: 'k', properties: { COLOUR: 'red' } }), opts('items')),
    );
    expect(err.parameter).toBe('items[3].properties.COLOUR');
    expect(err.message).toContain('CATEGORY, PRICE_BAND');
  });

  it('rejects a bad value naming items[3].properties.CATEGORY', () => {
    const list = [0, 1, 2].map((i) => ({ itemId: `i${i}`, properties: { CATEGORY: 'a' } }));
    const err = rejection(() =>
      parseCatalogBatch(
        'items',
        items(...list, { itemId: 'i3', properties: { CATEGORY: { nested: 1 } } }),
        opts('items'),
      ),
    );
    expect(err.parameter).toBe('items[3].properties.CATEGORY');
  });

  it('keeps __proto__ an ordinary, rejected property name', () => {
    const body = JSON.parse('{"users":[{"userId":"u1","properties":{"__proto__":{"GENDER":"f"}}}]}');
    expect(rejection(() => parseCatalogBatch('users', body, opts('users'))).parameter).toBe(
      'users[0].properties.__proto__',
    );
    expect(rejection(() => parseCatalogBatch('users', body)).parameter).toBe('users[0].properties.__proto__');
    expect(({} as Record<string, unknown>).GENDER).toBeUndefined();
  });

  it('rejects a userId with a lone surrogate', () => {
    expect(rejection(() => parseCatalogBatch('users', users({ userId: 'u\ud800' }))).parameter).toBe(
      'users[0].userId',
    );
  });

  it('rejects more than 10 records, like Personalize', () => {
    const list = Array.from({ length: 11 }, (_, i) => ({ itemId: `i${i}` }));
    expect(rejection(() => parseCatalogBatch('items', items(...list))).parameter).toBe('items');
  });

  it('rejects an id repeated within the batch', () => {
    expect(
      rejection(() => parseCatalogBatch('users', users({ userId: 'a' }, { userId: 'a' }))).parameter,
    ).toBe('users[1].userId');
  });

  it('rejects properties that are not valid JSON', () => {
    expect(
      rejection(() => parseCatalogBatch('users', users({ userId: 'a', properties: '{GENDER' }))).parameter,
    ).toBe('users[0].properties');
  });
});

describe('POST /users: profiles take effect at once', () => {
  let tmp: string;
  let artifacts: FolderArtifactStore;
  let profiles: CachedProfiles;
  let stored: DynamoUserProfileStore;
  let columns: DatasetColumnsSource;
  const exportOf = (kind: CatalogKind) =>
    new ArtifactRecordExport<CatalogWrite>(
      artifacts,
      (ms) => catalogExportPartition(kind, ms),
      (w) => catalogExportRecord(kind, w.record, w.writtenAt),
      () => NOW,
    );

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'osusume-catalog-'));
    artifacts = new FolderArtifactStore(tmp);
    stored = new DynamoUserProfileStore(db.doc(), { tableName: await db.freshTable('users') });
    profiles = new CachedProfiles(stored, 60_000);
    const state = new DynamoPipelineStateStore(db.doc(), { tableName: await db.freshTable('state') });
    await state.putRecord(DATASET_COLUMNS_KEY, COLUMNS);
    columns = new DatasetColumnsSource(state, 60_000);
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('answers a created user from the same process although "no profile" was cached', async () => {
    expect(await profiles.getProfile('new-1')).toBeUndefined();
    await putCatalog(
      'users',
      { columns, profiles },
      users({ userId: 'new-1', properties: { gender: 'f' } }),
      NOW,
    );
    expect(await profiles.getProfile('new-1')).toEqual({ GENDER: 'f' });
    expect(await stored.getProfile('new-1')).toEqual({ GENDER: 'f' });
  });

  it('merges a write over the stored profile: attributes it does not name are kept', async () => {
    await stored.putProfiles([{ userId: 'csv-1', attributes: { GENDER: 'm', AGE_GROUP: '25-34' } }]);
    await putCatalog(
      'users',
      { columns, profiles },
      users({ userId: 'csv-1', properties: '{"AGE_GROUP":"35-44"}' }),
      NOW,
    );
    expect(await profiles.getProfile('csv-1')).toEqual({ GENDER: 'm', AGE_GROUP: '35-44' });
  });

  it('applies nothing of a batch with one invalid record', async () => {
    const exporter = exportOf('users');
    const before = (await artifacts.list('users/')).length;
    await expect(
      putCatalog(
        'users',
        { columns, profiles, export: exporter },
        users(
          { userId: 'half-1', properties: { GENDER: 'f' } },
          { userId: 'half-2', properties: { SHOE: '42' } },
        ),
        NOW,
      ),
    ).rejects.toMatchObject({ parameter: 'users[1].properties.SHOE' });
    expect(await stored.getProfile('half-1')).toBeUndefined();
    expect((await artifacts.list('users/')).length).toBe(before);
  });

  it('exports each write under users/dt=YYYY-MM-DD/ and items/dt=YYYY-MM-DD/', async () => {
    await putCatalog(
      'users',
      { columns, profiles, export: exportOf('users') },
      users({ userId: 'exp-1', properties: { REGION: 'kanto' } }),
      NOW,
    );
    await putCatalog(
      'items',
      { columns, export: exportOf('items') },
      items({ itemId: 'exp-i', properties: { CATEGORY: 'c9' } }),
      NOW,
    );
    expect((await artifacts.list('users/')).every((k) => k.startsWith('users/dt=2026-12-01/'))).toBe(true);
    expect(await artifacts.list('items/')).toEqual([
      expect.stringMatching(/^items\/dt=2026-12-01\/.*\.jsonl$/),
    ]);
  });
});

describe('POST /items without an export', () => {
  it('refuses items it could not store anywhere instead of dropping them', async () => {
    const columns = { columns: async () => COLUMNS.items };
    await expect(
      putCatalog('items', { columns }, items({ itemId: 'lost', properties: { CATEGORY: 'c' } })),
    ).rejects.toMatchObject({ status: 503, code: 'DependencyError' });
  });
});

describe('CachedProfiles and a write racing a read', () => {
  it('does not let a read of the old profile that was in flight overwrite a write', async () => {
    let release: (() => void) | undefined;
    const inner = new Map<string, UserAttributes>();
    const slow: UserProfileStore = {
      async putProfiles(ps) {
        for (const p of ps) inner.set(p.userId, p.attributes);
      },
      async getProfile(userId) {
        const before = inner.get(userId); // the old (missing) profile, answered late
        await new Promise<void>((r) => {
          release = r;
        });
        return before;
      },
    };
    const profiles = new CachedProfiles(slow, 60_000);
    const stale = profiles.getProfile('racer');
    await new Promise((r) => setTimeout(r, 0));
    await profiles.putProfiles([{ userId: 'racer', attributes: { GENDER: 'x' } }]);
    release?.();
    await stale;
    expect(await profiles.getProfile('racer')).toEqual({ GENDER: 'x' });
  });
});

describe('the nightly merge of live writes', () => {
  let tmp: string;
  let artifacts: FolderArtifactStore;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'osusume-catalog-merge-'));
    artifacts = new FolderArtifactStore(tmp);
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('merges the latest write per id and attribute over the CSV rows, and adds new ids', async () => {
    const snapshot = runKeys.snapshot('v-merge');
    await artifacts.put(
      runKeys.file(snapshot, 'interactions'),
      'USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000\nu2,i2,1700000000\n',
    );
    await artifacts.put(
      runKeys.file(snapshot, 'users'),
      'USER_ID,GENDER,AGE_GROUP\nu1,f,25-34\nu2,m,35-44\n',
    );
    await artifacts.put(
      runKeys.file(snapshot, 'items'),
      'ITEM_ID,CATEGORY,PRICE_BAND\ni1,c1,low\ni2,c2,high\n',
    );
    const write = (kind: CatalogKind, at: number, id: string, props: Record<string, string>) =>
      new ArtifactRecordExport<CatalogWrite>(
        artifacts,
        (ms) => catalogExportPartition(kind, ms),
        (w) => catalogExportRecord(kind, w.record, w.writtenAt),
        () => at,
      ).export([{ record: { id, properties: new Map(Object.entries(props)) }, writtenAt: at }]);
    await write('users', NOW, 'u1', { AGE_GROUP: '45-54' });
    await write('users', NOW + 1000, 'u1', { AGE_GROUP: '55+' });
    await write('users', NOW + 2000, 'u-new', { GENDER: 'x' });
    await write('items', NOW, 'i2', { CATEGORY: 'c3' });
    await write('items', NOW, 'i-new', { CATEGORY: 'c1', PRICE_BAND: 'mid' });
    await artifacts.put('items/dt=2026-12-01/999-broken.jsonl', 'not json\n');

    const u = await mergeCatalogWrites(artifacts, snapshot, 'users');
    const it2 = await mergeCatalogWrites(artifacts, snapshot, 'items');
    expect(u.stats).toEqual({ read: 3, merged: 2, malformed: 0 });
    expect(it2.stats).toEqual({ read: 3, merged: 2, malformed: 1 });
    const ds = await loadSnapshot(artifacts, snapshot);
    const userAttr = (id: string, col: string) =>
      firstValue(ds.userAttributes.find((a) => a.name === col)!, ds.users.get(id));
    const itemAttr = (id: string, col: string) =>
      firstValue(ds.itemAttributes.find((a) => a.name === col)!, ds.items.get(id));
    expect([userAttr('u1', 'GENDER'), userAttr('u1', 'AGE_GROUP')]).toEqual(['f', '55+']);
    expect(userAttr('u-new', 'GENDER')).toBe('x');
    expect([itemAttr('i2', 'CATEGORY'), itemAttr('i2', 'PRICE_BAND')]).toEqual(['c3', 'high']);
    expect([itemAttr('i-new', 'CATEGORY'), itemAttr('i-new', 'PRICE_BAND')]).toEqual(['c1', 'mid']);
  });
});

describe('forwarding to Personalize', () => {
  const personalize = mockClient(PersonalizeEventsClient);
  const firehose = mockClient(FirehoseClient);
  afterEach(() => {
    personalize.reset();
    firehose.reset();
  });
  const columns = { columns: async (kind: CatalogKind) => COLUMNS[kind] };
  const DATASETS = {
    users: 'arn:aws:personalize:ap-northeast-1:1:dataset/shop/USERS',
    items: 'arn:aws:personalize:ap-northeast-1:1:dataset/shop/ITEMS',
  };

  it('sends PutUsers and PutItems to the datasets with camelCase properties', async () => {
    personalize.on(PutUsersCommand).resolves({}).on(PutItemsCommand).resolves({});
    const client = new PersonalizeEventsClient({});
    const profiles = new CachedProfiles(
      new DynamoUserProfileStore(db.doc(), { tableName: await db.freshTable('users') }),
      1000,
    );
    expect(
      await putCatalog(
        'users',
        { columns, profiles, forward: (r) => putUsersToPersonalize(client, DATASETS.users, r) },
        users({ userId: 'p1', properties: { age_group: '25-34' } }),
      ),
    ).toEqual({ received: 1, forwarded: true });
    await putCatalog(
      'items',
      { columns, forward: (r) => putItemsToPersonalize(client, DATASETS.items, r) },
      items({ itemId: 'p2', properties: { CATEGORY: ['a', 'b'], PRICE_BAND: 'low' } }),
    );
    expect(personalize.commandCalls(PutUsersCommand)[0]?.args[0].input).toEqual({
      datasetArn: DATASETS.users,
      users: [{ userId: 'p1', properties: '{"ageGroup":"25-34"}' }],
    });
    expect(personalize.commandCalls(PutItemsCommand)[0]?.args[0].input).toEqual({
      datasetArn: DATASETS.items,
      items: [{ itemId: 'p2', properties: '{"category":"a|b","priceBand":"low"}' }],
    });
  });

  it('keeps the stored profile and answers forwarded: false when PutUsers fails', async () => {
    personalize.on(PutUsersCommand).rejects(new Error('throttled'));
    const stored = new DynamoUserProfileStore(db.doc(), { tableName: await db.freshTable('users') });
    const errors: unknown[] = [];
    const result = await putCatalog(
      'users',
      {
        columns,
        profiles: new CachedProfiles(stored, 1000),
        forward: (r) => putUsersToPersonalize(new PersonalizeEventsClient({}), DATASETS.users, r),
        onForwardError: (e) => errors.push(e),
      },
      users({ userId: 'p3', properties: { GENDER: 'f' } }),
    );
    expect(result).toEqual({ received: 1, forwarded: false });
    expect(errors).toHaveLength(1);
    expect(await stored.getProfile('p3')).toEqual({ GENDER: 'f' });
  });

  it('exports writes through the same Firehose adapter as events, one JSON line per record', async () => {
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{}] });
    const exporter = new FirehoseRecordExport<CatalogWrite>(new FirehoseClient({}), 'osusume-items', (w) =>
      catalogExportRecord('items', w.record, w.writtenAt),
    );
    await putCatalog(
      'items',
      { columns, export: exporter },
      items({ itemId: 'f1', properties: { CATEGORY: 'c' } }),
      NOW,
    );
    const input = firehose.commandCalls(PutRecordBatchCommand)[0]?.args[0].input;
    expect(input?.DeliveryStreamName).toBe('osusume-items');
    expect(Buffer.from(input?.Records?.[0]?.Data as Uint8Array).toString()).toBe(
      `{"itemId":"f1","properties":{"CATEGORY":"c"},"writtenAt":${NOW}}\n`,
    );
  });
});
