import {
  GetPersonalizedRankingCommand,
  GetRecommendationsCommand,
  PersonalizeRuntimeClient,
} from '@aws-sdk/client-personalize-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  PersonalizeRankingRuntime,
  PersonalizeSimilarItemsRuntime,
} from '../../shared/adapters/personalize/personalize-item-runtime.js';
import { DependencyError } from '../../shared/domain/errors.js';

const SIMS = 'arn:aws:personalize:ap-northeast-1:123456789012:campaign/osusume-sims';
const RANKING = 'arn:aws:personalize:ap-northeast-1:123456789012:campaign/osusume-ranking';
const FILTER = 'arn:aws:personalize:ap-northeast-1:123456789012:filter/osusume-in-stock';

describe('Personalize Similar-Items and GetPersonalizedRanking (aws-sdk-client-mock)', () => {
  const client = new PersonalizeRuntimeClient({ region: 'ap-northeast-1', maxAttempts: 1 });
  const mock = mockClient(client);

  beforeEach(() => {
    mock.reset();
  });

  it('asks the Similar-Items campaign with the item, the shopper and the filter', async () => {
    mock.on(GetRecommendationsCommand).resolves({
      itemList: [{ itemId: 'i2', score: 0.7 }, { itemId: 'i3' }, { score: 0.1 }],
    });
    const sims = new PersonalizeSimilarItemsRuntime(client, {
      campaignArn: SIMS,
      filterArn: FILTER,
      timeoutMs: 150,
    });
    const out = await sims.similarItems({ itemId: 'i1', userId: 'u1', numResults: 700 });
    expect(out).toEqual([
      { itemId: 'i2', score: 0.7 },
      { itemId: 'i3', score: 0 },
    ]);
    expect(mock).toHaveReceivedCommandWith(GetRecommendationsCommand, {
      campaignArn: SIMS,
      itemId: 'i1',
      userId: 'u1',
      numResults: 500,
      filterArn: FILTER,
    });
  });

  it('sends GetPersonalizedRanking with the user and the whole input list', async () => {
    mock.on(GetPersonalizedRankingCommand).resolves({
      personalizedRanking: [
        { itemId: 'b', score: 0.6 },
        { itemId: 'a', score: 0.4 },
      ],
      recommendationId: 'RID',
    });
    const ranker = new PersonalizeRankingRuntime(client, { campaignArn: RANKING, timeoutMs: 150 });
    const out = await ranker.rank({ userId: 'u1', inputList: ['a', 'b'] });
    expect(out.map((i) => i.itemId)).toEqual(['b', 'a']);
    expect(mock).toHaveReceivedCommandWith(GetPersonalizedRankingCommand, {
      campaignArn: RANKING,
      userId: 'u1',
      inputList: ['a', 'b'],
    });
  });

  it("sends the request's filter ARN and filterValues in place of the stage's filter on both calls", async () => {
    mock.on(GetRecommendationsCommand).resolves({ itemList: [{ itemId: 'i2', score: 0.7 }] });
    mock.on(GetPersonalizedRankingCommand).resolves({ personalizedRanking: [{ itemId: 'a', score: 0.4 }] });
    const requestFilter = 'arn:aws:personalize:ap-northeast-1:123456789012:filter/osusume-category';
    const filterValues = new Map([
      ['CATEGORY', '"hats","bags"'],
      ['__proto__', '"x"'],
    ]);
    const options = { filterArn: FILTER, timeoutMs: 150 };
    await new PersonalizeSimilarItemsRuntime(client, { campaignArn: SIMS, ...options }).similarItems({
      itemId: 'i1',
      numResults: 5,
      filterArn: requestFilter,
      filterValues,
    });
    await new PersonalizeRankingRuntime(client, { campaignArn: RANKING, ...options }).rank({
      userId: 'u1',
      inputList: ['a'],
      filterArn: requestFilter,
      filterValues,
    });
    const expected = {
      filterArn: requestFilter,
      filterValues: { CATEGORY: '"hats","bags"', ['__proto__']: '"x"' },
    };
    const sims = mock.commandCalls(GetRecommendationsCommand)[0].args[0].input;
    const ranked = mock.commandCalls(GetPersonalizedRankingCommand)[0].args[0].input;
    for (const input of [sims, ranked]) {
      expect(input.filterArn).toBe(expected.filterArn);
      expect(Object.entries(input.filterValues ?? {})).toEqual(Object.entries(expected.filterValues));
    }
  });

  it('fails a ranking call that does not answer within its timeout with a DependencyError', async () => {
    mock.on(GetPersonalizedRankingCommand).callsFake(() => new Promise(() => undefined));
    const ranker = new PersonalizeRankingRuntime(client, { campaignArn: RANKING, timeoutMs: 20 });
    await expect(ranker.rank({ userId: 'u1', inputList: ['a'] })).rejects.toBeInstanceOf(DependencyError);
  });
});
