import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../domain/errors.js';
import type { PipelineStateStore } from '../../ports/stores.js';
import type { VersionPointer } from '../../ports/types.js';
import { requireId, requireKeyPart, serialiseRecord } from '../validation.js';
import { dynamoCall, errorName, toDependencyError } from './call.js';

/** Partition key of an algorithm's active-version pointer. */
export function pointerKey(algorithm: string): string {
  return `pointer#${requireKeyPart('algorithm', algorithm)}`;
}

/** Partition key of a pipeline record. */
export function recordKey(key: string): string {
  return `record#${requireId('key', key)}`;
}

/**
 * Pointers and records on the state table. The pointer flip is a single conditional PutItem (no
 * transactions: dynalite lacks them, and one item is all the atomicity a pointer needs).
 */
export class DynamoPipelineStateStore implements PipelineStateStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: { readonly tableName: string; readonly now?: () => number },
  ) {}

  async getActiveVersion(algorithm: string): Promise<VersionPointer | undefined> {
    const Key = { pk: pointerKey(algorithm) };
    // Strongly consistent: right after a flip, readers must not see the previous version.
    const out = await dynamoCall('GetItem', () =>
      this.doc.send(new GetCommand({ TableName: this.options.tableName, Key, ConsistentRead: true })),
    );
    if (!out.Item) return undefined;
    return { algorithm, version: out.Item.version as string, updatedAt: out.Item.updatedAt as number };
  }

  async setActiveVersion(
    algorithm: string,
    version: string,
    expected: string | undefined,
  ): Promise<VersionPointer> {
    const pk = pointerKey(algorithm);
    requireKeyPart('version', version);
    const updatedAt = this.options.now?.() ?? Date.now();
    const condition =
      expected === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': expected },
          };
    try {
      await this.doc.send(
        new PutCommand({ TableName: this.options.tableName, Item: { pk, version, updatedAt }, ...condition }),
      );
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') {
        throw new ConflictError(
          `active version of ${algorithm} is no longer ${expected ?? '(none)'}; another writer moved it`,
        );
      }
      throw toDependencyError('PutItem', err);
    }
    return { algorithm, version, updatedAt };
  }

  async putRecord(key: string, value: unknown): Promise<void> {
    const Item = {
      pk: recordKey(key),
      json: serialiseRecord(key, value),
      updatedAt: this.options.now?.() ?? Date.now(),
    };
    await dynamoCall('PutItem', () =>
      this.doc.send(new PutCommand({ TableName: this.options.tableName, Item })),
    );
  }

  async getRecord<T = unknown>(key: string): Promise<T | undefined> {
    const Key = { pk: recordKey(key) };
    const out = await dynamoCall('GetItem', () =>
      this.doc.send(new GetCommand({ TableName: this.options.tableName, Key, ConsistentRead: true })),
    );
    return out.Item ? (JSON.parse(out.Item.json as string) as T) : undefined;
  }
}
