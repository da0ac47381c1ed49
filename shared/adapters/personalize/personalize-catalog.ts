import {
  type PersonalizeEventsClient,
  PutItemsCommand,
  PutUsersCommand,
} from '@aws-sdk/client-personalize-events';
import type { CatalogRecord } from '../../domain/catalog/catalog.js';
import { DependencyError } from '../../domain/errors.js';

/** Personalize wants property names in camelCase of the schema's field names: AGE_GROUP → ageGroup. */
export function personalizePropertyName(column: string): string {
  return column.toLowerCase().replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Personalize's properties: a JSON object string, keys in camelCase of the dataset's columns. */
export function personalizeProperties(record: CatalogRecord): string {
  const out = new Map<string, string>();
  for (const [column, value] of record.properties) out.set(personalizePropertyName(column), value);
  return JSON.stringify(Object.fromEntries(out));
}

/** PutUsers into the Users dataset (a failure is a DependencyError). */
export async function putUsersToPersonalize(
  client: PersonalizeEventsClient,
  datasetArn: string,
  records: readonly CatalogRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const users = records.map((r) => ({ userId: r.id, properties: personalizeProperties(r) }));
  await failAsDependency('PutUsers', client.send(new PutUsersCommand({ datasetArn, users })));
}

/** PutItems into the Items dataset (a failure is a DependencyError). */
export async function putItemsToPersonalize(
  client: PersonalizeEventsClient,
  datasetArn: string,
  records: readonly CatalogRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const items = records.map((r) => ({ itemId: r.id, properties: personalizeProperties(r) }));
  await failAsDependency('PutItems', client.send(new PutItemsCommand({ datasetArn, items })));
}

/** A failed call as a DependencyError naming the operation. */
async function failAsDependency(operation: string, call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (err) {
    throw new DependencyError('personalize-events', `${operation} failed: ${(err as Error).message}`);
  }
}
