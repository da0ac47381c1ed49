import {
  type PersonalizeEventsClient,
  PutItemsCommand,
  PutUsersCommand,
} from '@aws-sdk/client-personalize-events';
import type { CatalogKind, CatalogRecord } from '../../domain/catalog/catalog.js';
import { DependencyError } from '../../domain/errors.js';
import type { CatalogForwarder } from '../../ports/catalog.js';

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

/**
 * Amazon Personalize PutUsers / PutItems behind the CatalogForwarder port, into the Users and Items
 * datasets. A kind without a dataset ARN is not forwarded.
 */
export class PersonalizeCatalogForwarder implements CatalogForwarder {
  constructor(
    private readonly client: PersonalizeEventsClient,
    private readonly datasets: { readonly users?: string; readonly items?: string },
  ) {}

  async forward(kind: CatalogKind, records: readonly CatalogRecord[]): Promise<void> {
    const datasetArn = this.datasets[kind];
    if (!datasetArn || records.length === 0) return;
    try {
      if (kind === 'users')
        await this.client.send(
          new PutUsersCommand({
            datasetArn,
            users: records.map((r) => ({ userId: r.id, properties: personalizeProperties(r) })),
          }),
        );
      else
        await this.client.send(
          new PutItemsCommand({
            datasetArn,
            items: records.map((r) => ({ itemId: r.id, properties: personalizeProperties(r) })),
          }),
        );
    } catch (err) {
      throw new DependencyError(
        'personalize-events',
        `${kind === 'users' ? 'PutUsers' : 'PutItems'} failed: ${(err as Error).message}`,
      );
    }
  }
}
