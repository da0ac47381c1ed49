import { GetRecommendationsCommand, PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { PersonalizeRuntimeRecommender } from '../../shared/adapters/personalize/personalize-runtime.js';
import { DependencyError } from '../../shared/domain/errors.js';

const CAMPAIGN = 'arn:aws:personalize:ap-northeast-1:123456789012:campaign/osusume-home';
const FILTER = 'arn:aws:personalize:ap-northeast-1:123456789012:filter/osusume-not-purchased';

describe('PersonalizeRuntimeRecommender (aws-sdk-client-mock)', () => {
  const client = new PersonalizeRuntimeClient({ region: 'ap-northeast-1', maxAttempts: 1 });
  const mock = mockClient(client);

  beforeEach(() => {
    mock.reset();
  });

  it('sends the campaign, filter, user and numResults', async () => {
    mock.on(GetRecommendationsCommand).resolves({
      itemList: [
        { itemId: 'i1', score: 0.9 },
        { itemId: 'i2', score: 0.5 },
      ],
      recommendationId: 'RID-1',
    });
    const r = new PersonalizeRuntimeRecommender(client, {
      campaignArn: CAMPAIGN,
      filterArn: FILTER,
      timeoutMs: 150,
    });
    const out = await r.getRecommendations({ userId: 'u1', numResults: 45 });
    expect(out).toEqual([
      { itemId: 'i1', score: 0.9 },
      { itemId: 'i2', score: 0.5 },
    ]);
    expect(mock).toHaveReceivedCommandWith(GetRecommendationsCommand, {
      campaignArn: CAMPAIGN,
      filterArn: FILTER,
      userId: 'u1',
      numResults: 45,
    });
  });

  it('caps numResults at the Personalize maximum of 500', async () => {
    mock.on(GetRecommendationsCommand).resolves({ itemList: [] });
    const r = new PersonalizeRuntimeRecommender(client, { campaignArn: CAMPAIGN, timeoutMs: 150 });
    await r.getRecommendations({ userId: 'u1', numResults: 620 });
    expect(mock).toHaveReceivedCommandWith(GetRecommendationsCommand, { numResults: 500 });
  });

  it('omits the filter when none is configured', async () => {
    mock.on(GetRecommendationsCommand).resolves({ itemList: [] });
    const r = new PersonalizeRuntimeRecommender(client, { campaignArn: CAMPAIGN, timeoutMs: 150 });
    await r.getRecommendations({ userId: 'u1', numResults: 5 });
    const input = mock.commandCalls(GetRecommendationsCommand)[0].args[0].input;
    expect(input.filterArn).toBeUndefined();
  });

  it('gives up after the hard timeout with a DependencyError', async () => {
    mock.on(GetRecommendationsCommand).callsFake(
      (_input, getClient) =>
        new Promise((resolve) => {
          setTimeout(() => resolve({ itemList: [{ itemId: 'late', score: 1 }] }), 2000);
          void getClient;
        }),
    );
    const r = new PersonalizeRuntimeRecommender(client, { campaignArn: CAMPAIGN, timeoutMs: 50 });
    const started = Date.now();
    await expect(r.getRecommendations({ userId: 'u1', numResults: 5 })).rejects.toThrow(
      /timed out after 50 ms/,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('turns a service error into a DependencyError without retrying', async () => {
    mock
      .on(GetRecommendationsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const r = new PersonalizeRuntimeRecommender(client, { campaignArn: CAMPAIGN, timeoutMs: 150 });
    await expect(r.getRecommendations({ userId: 'u1', numResults: 5 })).rejects.toThrow(DependencyError);
    expect(mock.commandCalls(GetRecommendationsCommand)).toHaveLength(1);
  });
});
