import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * Table design (see README "Table design"). Every table is on-demand with a single string hash key,
 * except `events` (reserved for event ingestion) which adds a range key. TTL cannot be part of a
 * CreateTable input; it is listed in TTL_ATTRIBUTES and enabled by serverless.yml (dynalite has no
 * UpdateTimeToLive, so locally old versions simply stay until the process ends).
 */

/** Logical table names; the composition maps each to a physical name from config. */
export const LOGICAL_TABLES = ['recommendations', 'state', 'ngItems', 'users', 'events'] as const;
export type LogicalTable = (typeof LOGICAL_TABLES)[number];

/** Physical table name for each logical table. */
export type TableNames = Readonly<Record<LogicalTable, string>>;

/** The TTL attribute (epoch seconds) of tables whose items expire. */
export const TTL_ATTRIBUTES: Readonly<Partial<Record<LogicalTable, string>>> = {
  recommendations: 'expiresAt',
  events: 'expiresAt',
};

/** Key attribute names per logical table (what adapters put in Key objects). */
export const KEY_SCHEMAS: Readonly<Record<LogicalTable, { hash: string; range?: string }>> = {
  recommendations: { hash: 'pk' },
  state: { hash: 'pk' },
  ngItems: { hash: 'itemId' },
  users: { hash: 'userId' },
  events: { hash: 'pk', range: 'sk' },
};

/** Physical names as serverless.yml gives them: `osusume-{stage}-{kebab logical}`, e.g. `osusume-dev-ng-items`. */
export function defaultTableNames(stage = 'local'): TableNames {
  const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return Object.fromEntries(
    LOGICAL_TABLES.map((t) => [t, `osusume-${stage}-${kebab(t)}`]),
  ) as unknown as TableNames;
}

function definition(tableName: string, hash: string, range?: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: hash, AttributeType: 'S' },
      ...(range ? [{ AttributeName: range, AttributeType: 'S' as const }] : []),
    ],
    KeySchema: [
      { AttributeName: hash, KeyType: 'HASH' },
      ...(range ? [{ AttributeName: range, KeyType: 'RANGE' as const }] : []),
    ],
  };
}

/** CreateTable inputs for every table, keyed by logical name. */
export function tableDefinitions(names: TableNames): Record<LogicalTable, CreateTableCommandInput> {
  const out = {} as Record<LogicalTable, CreateTableCommandInput>;
  for (const table of LOGICAL_TABLES) {
    const { hash, range } = KEY_SCHEMAS[table];
    out[table] = definition(names[table], hash, range);
  }
  return out;
}
