import { GetRecommendationsCommand, PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { buildContainer } from '../../shared/composition.js';
import { ConfigError, parseConfig } from '../../shared/config/config.js';
import { PERSONALIZE_STAND_IN_SOURCE } from '../../shared/adapters/local/personalize-stand-in.js';
import type { ParameterReader } from '../../shared/ports/parameters.js';
import { CachedCampaignArn } from '../../shared/use-cases/personalize-campaign.js';

const tables = {
  TABLE_RECOMMENDATIONS: 'osusume-t-recommendations',
  TABLE_STATE: 'osusume-t-state',
  TABLE_NG_ITEMS: 'osusume-t-ng-items',
  TABLE_USERS: 'osusume-t-users',
  TABLE_EVENTS: 'osusume-t-events',
};
const ARN_1 = 'arn:aws:personalize:ap-northeast-1:123456789012:campaign/osusume-prod';
const ARN_2 = 'arn:aws:personalize:ap-northeast-1:123456789012:campaign/osusume-prod-2';
const PARAMETER = '/osusume/prod/personalize/campaign-arn';

const ssm = mockClient(SSMClient);
const runtime = mockClient(PersonalizeRuntimeClient);
// the state table holds no known-user set here: every user counts as trained on
const dynamo = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  ssm.reset();
  runtime.reset();
  dynamo.reset();
  dynamo.on(GetCommand).resolves({});
  runtime.on(GetRecommendationsCommand).resolves({ itemList: [{ itemId: 'i1', score: 0.5 }] });
});
afterAll(() => {
  ssm.restore();
  runtime.restore();
  dynamo.restore();
});

describe('PERSONALIZE_MODE and the campaign parameter', () => {
  it('serves the campaign the SSM parameter names and follows an update without a rebuild', async () => {
    const c = buildContainer(
      parseConfig({
        ...tables,
        OSUSUME_STAGE: 'prod',
        PERSONALIZE_CAMPAIGN_PARAMETER: PARAMETER,
        PERSONALIZE_CAMPAIGN_CACHE_SECONDS: '0',
      }),
    );
    ssm.on(GetParameterCommand, { Name: PARAMETER }).resolves({ Parameter: { Value: ARN_1 } });
    expect(await c.sources.personalize.candidates('u1', 5)).toEqual([{ itemId: 'i1', score: 0.5 }]);
    ssm.on(GetParameterCommand, { Name: PARAMETER }).resolves({ Parameter: { Value: ARN_2 } });
    await c.sources.personalize.candidates('u1', 5);
    const sent = runtime
      .commandCalls(GetRecommendationsCommand)
      .map((call) => call.args[0].input.campaignArn);
    expect(sent).toEqual([ARN_1, ARN_2]);
    expect(c.sources.personalize.source).toBe('personalize');
  });

  it('reads the parameter once per TTL and answers the last good ARN when a read fails', async () => {
    let now = 0;
    let reads = 0;
    let value: string | Error = ARN_1;
    const store: ParameterReader = {
      get: async () => {
        reads++;
        if (value instanceof Error) throw value;
        return value;
      },
    };
    const cached = new CachedCampaignArn(store, PARAMETER, 60_000, () => now);
    expect(await cached.arn()).toBe(ARN_1);
    now = 59_000;
    expect(await cached.arn()).toBe(ARN_1);
    expect(reads).toBe(1);
    now = 61_000;
    value = new Error('ssm down');
    expect(await cached.arn()).toBe(ARN_1);
    expect(reads).toBe(2);
  });

  it('fails the arm (not the process) while the parameter holds no campaign yet', async () => {
    const c = buildContainer(
      parseConfig({ ...tables, OSUSUME_STAGE: 'prod', PERSONALIZE_CAMPAIGN_PARAMETER: PARAMETER }),
    );
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));
    await expect(c.sources.personalize.candidates('u1', 5)).rejects.toThrow(/holds no campaign ARN yet/);
    expect(runtime.commandCalls(GetRecommendationsCommand)).toHaveLength(0);
  });

  it('never serves the stand-in on a non-local stage without a campaign unless asked for', async () => {
    const off = buildContainer(parseConfig({ ...tables, OSUSUME_STAGE: 'prod' }));
    expect(off.config.PERSONALIZE_MODE).toBe('off');
    expect(off.sources.personalize.source).toBe('personalize-off:popularity');
    expect(await off.sources.personalize.candidates('u1', 5)).toEqual([]);
    const asked = buildContainer(
      parseConfig({ ...tables, OSUSUME_STAGE: 'prod', PERSONALIZE_MODE: 'standin' }),
    );
    expect(asked.sources.personalize.source).toBe(PERSONALIZE_STAND_IN_SOURCE);
  });

  it("answers the personalize arm from another arm's lists, labelled, when off with a fallback arm", () => {
    const c = buildContainer(
      parseConfig({
        ...tables,
        OSUSUME_STAGE: 'prod',
        PERSONALIZE_MODE: 'off',
        PERSONALIZE_OFF_FALLBACK: 'cf',
      }),
    );
    expect(c.sources.personalize.source).toBe('personalize-off:cf');
  });

  it('rejects PERSONALIZE_MODE=campaign without a campaign source, naming the variables', () => {
    expect(() => parseConfig({ ...tables, OSUSUME_STAGE: 'prod', PERSONALIZE_MODE: 'campaign' })).toThrow(
      ConfigError,
    );
    expect(() => parseConfig({ ...tables, OSUSUME_STAGE: 'prod', PERSONALIZE_MODE: 'campaign' })).toThrow(
      /PERSONALIZE_CAMPAIGN_ARN or PERSONALIZE_CAMPAIGN_PARAMETER/,
    );
  });
});
