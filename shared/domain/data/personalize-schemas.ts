import { DataError } from '../errors.js';

/** One field of a Personalize (Avro) schema. */
export interface AvroField {
  readonly name: string;
  readonly type: string | string[];
  readonly categorical?: boolean;
}

/** A Personalize dataset schema (Avro record JSON). */
export interface AvroSchema {
  readonly type: 'record';
  readonly name: string;
  readonly namespace: 'com.amazonaws.personalize.schema';
  readonly fields: AvroField[];
  readonly version: '1.0';
}

export type DatasetKind = 'interactions' | 'users' | 'items';

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,149}$/;
const REQUIRED: Record<DatasetKind, readonly string[]> = {
  interactions: ['USER_ID', 'ITEM_ID', 'TIMESTAMP'],
  users: ['USER_ID'],
  items: ['ITEM_ID'],
};
const RECORD_NAME: Record<DatasetKind, string> = {
  interactions: 'Interactions',
  users: 'Users',
  items: 'Items',
};

/**
 * The Personalize schema of one of the three CSV files, derived from its header: ids are strings,
 * TIMESTAMP and CREATION_TIMESTAMP longs, EVENT_VALUE a nullable float, EVENT_TYPE a string (always in the
 * interactions schema: the nightly events parts carry it), every other column a nullable categorical string.
 */
export function schemaFromHeader(kind: DatasetKind, header: readonly string[], file: string): AvroSchema {
  const names = header.map((h) => h.trim());
  const seen = new Set<string>();
  for (const name of names) {
    if (!FIELD_NAME.test(name))
      throw new DataError(
        `column '${name}' is not a valid Personalize field name ([A-Za-z_][A-Za-z0-9_]*)`,
        file,
        1,
      );
    if (seen.has(name)) throw new DataError(`column '${name}' appears twice`, file, 1);
    seen.add(name);
  }
  for (const name of REQUIRED[kind])
    if (!seen.has(name))
      throw new DataError(`header lacks ${name} (needs ${REQUIRED[kind].join(',')})`, file, 1);
  if (kind === 'interactions') seen.add('EVENT_TYPE');
  const fields: AvroField[] = [];
  for (const name of kind === 'interactions' && !names.includes('EVENT_TYPE')
    ? [...names, 'EVENT_TYPE']
    : names) {
    if (name === 'USER_ID' || name === 'ITEM_ID') fields.push({ name, type: 'string' });
    else if (name === 'TIMESTAMP' && kind === 'interactions') fields.push({ name, type: 'long' });
    else if (name === 'CREATION_TIMESTAMP' && kind === 'items') fields.push({ name, type: 'long' });
    else if (name === 'EVENT_TYPE' && kind === 'interactions') fields.push({ name, type: 'string' });
    else if (name === 'EVENT_VALUE' && kind === 'interactions')
      fields.push({ name, type: ['null', 'float'] });
    else fields.push({ name, type: ['null', 'string'], categorical: true });
  }
  return {
    type: 'record',
    name: RECORD_NAME[kind],
    namespace: 'com.amazonaws.personalize.schema',
    fields,
    version: '1.0',
  };
}
