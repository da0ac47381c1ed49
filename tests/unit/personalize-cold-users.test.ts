import { GetRecommendationsCommand, PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/event-store.js';
import { DynamoNgItemStore } from '../../shared/adapters/dynamodb/ng-item-store.js';
import { DynamoPipelineStateStore } from '../../shared/adapters/dynamodb/pipeline-state-store.js';
import { DynamoPopularityStore } from '../../shared/adapters/dynamodb/popularity-store.js';
import { DynamoUserProfileStore } from '../../shared/adapters/dynamodb/user-profile-store.js';
import { PersonalizeRuntimeRecommender } from '../../shared/adapters/personalize/personalize-runtime.js';
import { DatasetBuilder } from '../../shared/domain/data/builder.js';
import { parseExperimentConfig } from '../../shared/domain/experiments/experiments.js';
import { KnownUsersBuilder } from '../../shared/domain/personalize/known-users.js';
import {
  parseRecommendationRequest,
  parseSessionRecommendationRequest,
} from '../../shared/domain/recommend/request.js';
import { NgList, PersonalizeSource } from '../../shared/use-cases/candidate-sources.js';
import {
  ColdAwarePersonalizeSource,
  KNOWN_USERS_POINTER,
  KnownUsers,
  knownUsersShardKey,
} from '../../shared/use-cases/known-users.js';
import { PopularitySource } from '../../shared/use-cases/popularity-source.js';
import { publishPopularity } from '../../shared/use-cases/publish-popularity.js';
import { recommend } from '../../shared/use-cases/recommend.js';
import { useDynalite } from '../helpers/dynalite.js';

const runtime = mockClient(PersonalizeRuntimeClient);
const dynamo = useDynalite('cold');
const T0 = 1_780_000_000;
let deps: Parameters<typeof recommend>[0];
let events: DynamoEventStore;
let state: DynamoPipelineStateStore;

beforeAll(async () => {
  const doc = dynamo.doc();
  // women buy i-f*, men buy i-m*: the segment lists differ from the global one
  const b = new DatasetBuilder();
  for (let u = 0; u < 20; u++) {
    const g = u % 2 === 0 ? 'f' : 'm';
    b.addUser(`u${u}`, { GENDER: g });
    for (let k = 0; k < 5; k++) b.addInteraction(`u${u}`, `i-${g}${k}`, T0 - k, 'purchase');
  }
  const recommendations = await dynamo.freshTable('recommendations');
  state = new DynamoPipelineStateStore(doc, { tableName: await dynamo.freshTable('state') });
  const profiles = new DynamoUserProfileStore(doc, { tableName: await dynamo.freshTable('users') });
  const popularityStore = new DynamoPopularityStore(doc, {
    tableName: recommendations,
    retentionSeconds: 3600,
  });
  await publishPopularity({ popularity: popularityStore, profiles, state }, b.build(), { minSupport: 1 });
  events = new DynamoEventStore(doc, { tableName: await dynamo.freshTable('events'), ttlDays: 1 });
  // Personalize was trained on u0 only
  const known = new KnownUsersBuilder('run-1', 1);
  known.add('u0');
  await state.putRecord(knownUsersShardKey('run-1', 0), {
    bits: Buffer.from(known.shards[0]).toString('base64'),
  });
  await state.putRecord(KNOWN_USERS_POINTER, known.layout);
  const campaign = new PersonalizeSource(
    'personalize',
    new PersonalizeRuntimeRecommender(
      new PersonalizeRuntimeClient({ region: 'ap-northeast-1', maxAttempts: 1 }),
      {
        campaignArn: 'arn:aws:personalize:ap-northeast-1:123456789012:campaign/osusume-prod',
        timeoutMs: 1000,
      },
    ),
  );
  deps = {
    experiments: parseExperimentConfig(
      JSON.stringify({
        defaultSlot: 'home',
        slots: {
          home: {
            experiment: 'p',
            salt: 's',
            arms: [{ name: 'personalize', algorithm: 'personalize', weight: 1 }],
          },
        },
      }),
    ),
    sources: { personalize: new ColdAwarePersonalizeSource(campaign, new KnownUsers(state, 60_000), events) },
    profiles,
    popularity: new PopularitySource(state, popularityStore, 60_000),
    ngList: new NgList(new DynamoNgItemStore(doc, { tableName: await dynamo.freshTable('ngItems') }), 0),
    recentEvents: events,
    recentLimit: 10,
  };
});

beforeEach(() => {
  runtime.reset();
  // what Personalize gives every user it does not know: the same popular items
  runtime
    .on(GetRecommendationsCommand)
    .resolves({ itemList: [1, 2, 3].map((k) => ({ itemId: `p${k}`, score: 1 / k })) });
});
afterAll(() => runtime.restore());

const serve = async (userId: string, query: Record<string, string> = {}) =>
  (await recommend(deps, parseRecommendationRequest(userId, { numResults: '3', ...query }, 3))).response;
const askedFor = () => runtime.commandCalls(GetRecommendationsCommand).map((c) => c.args[0].input.userId);

describe('cold users on the personalize arm', () => {
  it('serves a user Personalize was trained on from the campaign', async () => {
    const r = await serve('u0');
    expect(r.itemList.map((i) => i.source)).toEqual(['personalize', 'personalize', 'personalize']);
    expect(askedFor()).toEqual(['u0']);
  });

  it('gives an untrained user without recent events the popularity of their segment, not Personalize', async () => {
    const r = await serve('new-visitor', { GENDER: 'm' });
    expect(askedFor()).toEqual([]);
    expect(r.arm).toBe('personalize');
    expect(r.itemList.map((i) => i.source)).toEqual([
      'popularity:segment',
      'popularity:segment',
      'popularity:segment',
    ]);
    expect(r.itemList.every((i) => i.itemId.startsWith('i-m'))).toBe(true);
  });

  it("gives an untrained user with recent events Personalize's session-aware answer", async () => {
    await events.putEvents([
      {
        eventId: 'e-cold-1',
        userId: 'browsing-visitor',
        sessionId: 's1',
        eventType: 'view',
        rawEventType: 'view',
        itemId: 'i-f1',
        sentAt: Date.now() - 1000,
      },
    ]);
    const r = await serve('browsing-visitor');
    expect(askedFor()).toEqual(['browsing-visitor']);
    expect(r.itemList[0].source).toBe('personalize');
  });

  it('asks Personalize for an anonymous session under its sessionId, as Personalize documents', async () => {
    await events.putEvents([
      {
        eventId: 'e-anon-1',
        sessionId: 'anon-session-7',
        eventType: 'view',
        rawEventType: 'view',
        itemId: 'i-m2',
        sentAt: Date.now() - 1000,
      },
    ]);
    const request = parseSessionRecommendationRequest('anon-session-7', { numResults: '3' }, 3);
    const r = (await recommend(deps, request)).response;
    expect(askedFor()).toEqual(['anon-session-7']);
    expect(r).toMatchObject({ sessionId: 'anon-session-7', userId: 'anon-session-7' });
    expect(r.itemList.map((i) => i.itemId)).toEqual(['p1', 'p2', 'p3']);
  });

  it('asks Personalize under the userId once the session carries one', async () => {
    await events.putEvents([
      {
        eventId: 'e-login-1',
        userId: 'u0',
        sessionId: 'anon-session-8',
        eventType: 'view',
        rawEventType: 'view',
        itemId: 'i-f2',
        sentAt: Date.now() - 1000,
      },
    ]);
    const request = parseSessionRecommendationRequest('anon-session-8', { numResults: '3' }, 3);
    const r = (await recommend(deps, request)).response;
    expect(askedFor()).toEqual(['u0']);
    expect(r.userId).toBe('u0');
  });
});
