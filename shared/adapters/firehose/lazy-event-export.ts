import type { StoredEvent } from '../../domain/events/events.js';
import { exportRecord } from '../../domain/events/export.js';
import type { RecordExport } from '../../ports/events.js';
import type { FirehoseRecordExport } from './firehose-event-export.js';

/**
 * The Firehose export through a lazily imported adapter: the Firehose SDK is loaded on the first export,
 * so it costs the POST function's cold init nothing. `serialize` makes one JSON line of a record.
 */
export function lazyFirehoseExport<T = StoredEvent>(
  streamName: string,
  region: string,
  serialize: (record: T) => string = exportRecord as unknown as (record: T) => string,
): RecordExport<T> {
  // typed as the class, not the port: the call below is what the IAM check follows to PutRecordBatch
  let exporter: Promise<FirehoseRecordExport<T>> | undefined;
  return {
    async export(records) {
      exporter ??= (async () => {
        const [{ FirehoseClient }, { FirehoseRecordExport }] = await Promise.all([
          import('@aws-sdk/client-firehose'),
          import('./firehose-event-export.js'),
        ]);
        return new FirehoseRecordExport<T>(new FirehoseClient({ region }), streamName, serialize);
      })();
      return (await exporter).export(records);
    },
  };
}
