import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { batchedGet } from '../../shared/adapters/dynamodb/batched-get.js';
import { DynamoRecommendationStore } from '../../shared/adapters/dynamodb/recommendation-store.js';
import { DynamoUserProfileStore } from '../../shared/adapters/dynamodb/user-profile-store.js';
import { useDynalite } from '../helpers/dynalite.js';

const db = useDynalite('batched-get');

/** The commands `doc` sends while `run` runs. */
async function sent<T>(run: () => Promise<T>): Promise<{ result: T; commands: string[] }> {
  const commands: string[] = [];
  const name = `count-${Math.random()}`;
  db.doc().middlewareStack.add(
    (next, context) => (args) => {
      commands.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    return { result: await run(), commands };
  } finally {
    db.doc().middlewareStack.remove(name);
  }
}

describe('coalesced item reads (embedded DynamoDB)', () => {
  it("sends one request's reads of two tables as one BatchGetItem", async () => {
    const users = new DynamoUserProfileStore(db.doc(), { tableName: await db.freshTable('users') });
    const lists = new DynamoRecommendationStore(db.doc(), {
      tableName: await db.freshTable('recommendations'),
    });
    await users.putProfiles([{ userId: 'u1', attributes: { GENDER: 'f' } }]);
    await lists.putUserLists('cf', 'v1', [{ userId: 'u1', items: [{ itemId: 'i1', score: 2 }] }]);
    const { result, commands } = await sent(() =>
      Promise.all([
        users.getProfile('u1'),
        lists.getUserList('cf', 'v1', 'u1'),
        lists.getUserList('cf', 'v1', 'nobody'),
        users.getProfile('u1'),
      ]),
    );
    expect(result).toEqual([{ GENDER: 'f' }, [{ itemId: 'i1', score: 2 }], undefined, { GENDER: 'f' }]);
    expect(commands).toEqual(['BatchGetItemCommand']);
  });

  it('sends a lone read as a GetItem', async () => {
    const users = new DynamoUserProfileStore(db.doc(), { tableName: await db.freshTable('users') });
    await users.putProfiles([{ userId: 'u2', attributes: {} }]);
    const { result, commands } = await sent(() => users.getProfile('u2'));
    expect(result).toEqual({});
    expect(commands).toEqual(['GetItemCommand']);
  });

  it('asks again for the keys DynamoDB left unprocessed', async () => {
    // throttling cannot be provoked on the embedded server: DynamoDB's answers are played back
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
    const mock = mockClient(doc);
    mock
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { t: [{ pk: 'a', v: 1 }] },
        UnprocessedKeys: { t: { Keys: [{ pk: 'b' }] } },
      })
      .resolvesOnce({ Responses: { t: [{ pk: 'b', v: 2 }] } });
    const got = await Promise.all([
      batchedGet(doc, 't', { pk: 'a' }),
      batchedGet(doc, 't', { pk: 'b' }),
      batchedGet(doc, 't', { pk: 'c' }),
    ]);
    expect(got).toEqual([{ pk: 'a', v: 1 }, { pk: 'b', v: 2 }, undefined]);
    expect(mock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.t.Keys)).toEqual([
      [{ pk: 'a' }, { pk: 'b' }, { pk: 'c' }],
      [{ pk: 'b' }],
    ]);
  });

  it('fails every read of a round whose BatchGetItem fails, as a dependency error', async () => {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
    mockClient(doc).on(BatchGetCommand).rejects(new Error('throttled'));
    const reads = [batchedGet(doc, 't', { pk: 'a' }), batchedGet(doc, 'u', { id: 'b' })];
    for (const r of reads) await expect(r).rejects.toMatchObject({ dependency: 'dynamodb' });
  });
});
