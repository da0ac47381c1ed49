import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { UserProfileStore } from '../../ports/stores.js';
import type { UserAttributes } from '../../ports/types.js';
import { requireId } from '../validation.js';
import { type BatchOptions, batchWrite } from './batch-writer.js';
import { batchedGet } from './batched-get.js';

/** Known users' attributes on the users table: `userId` → { attributes: map }. */
export class DynamoUserProfileStore implements UserProfileStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: { readonly tableName: string; readonly batch?: BatchOptions },
  ) {}

  async putProfiles(profiles: readonly { userId: string; attributes: UserAttributes }[]): Promise<void> {
    const byUser = new Map<string, Record<string, string>>();
    for (const { userId, attributes } of profiles) byUser.set(requireId('userId', userId), { ...attributes });
    const requests = [...byUser].map(([userId, attributes]) => ({
      PutRequest: { Item: { userId, attributes } },
    }));
    await batchWrite(this.doc, this.options.tableName, requests, this.options.batch);
  }

  async getProfile(userId: string): Promise<UserAttributes | undefined> {
    // coalesced with the request's other reads (its arm's list) into one BatchGetItem
    const item = await batchedGet(this.doc, this.options.tableName, { userId: requireId('userId', userId) });
    return item ? ((item.attributes as UserAttributes | undefined) ?? {}) : undefined;
  }
}
