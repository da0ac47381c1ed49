import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { DependencyError } from '../../domain/errors.js';
import type { IdentifiedEvent } from '../../domain/events/events.js';
import { exportRecord } from '../../domain/events/export.js';
import type { RecordExport } from '../../ports/events.js';

/** PutRecordBatch takes at most 500 records per call. */
const MAX_RECORDS = 500;
const MAX_ATTEMPTS = 4;

const backoff = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * RecordExport into a Kinesis Data Firehose delivery stream that writes S3 day partitions (e.g.
 * `events/dt=!{timestamp:yyyy-MM-dd}/`), one JSON line per record. Records Firehose reports as failed
 * (FailedPutCount) are resent with backoff; if some still fail the call throws, so the POST answers 503
 * and the client resends.
 */
export class FirehoseRecordExport<T> implements RecordExport<T> {
  constructor(
    private readonly firehose: FirehoseClient,
    private readonly streamName: string,
    private readonly serialize: (record: T) => string,
    private readonly sleep: (ms: number) => Promise<void> = backoff,
  ) {}

  async export(records: readonly T[]): Promise<void> {
    for (let i = 0; i < records.length; i += MAX_RECORDS) {
      await this.putChunk(records.slice(i, i + MAX_RECORDS).map((e) => Buffer.from(this.serialize(e))));
    }
  }

  private async putChunk(records: Uint8Array[]): Promise<void> {
    let pending = records;
    for (let attempt = 1; ; attempt++) {
      let failed: Uint8Array[];
      try {
        const out = await this.firehose.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: this.streamName,
            Records: pending.map((Data) => ({ Data })),
          }),
        );
        if (!out.FailedPutCount) return;
        failed = pending.filter((_, i) => out.RequestResponses?.[i]?.ErrorCode !== undefined);
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS) throw new DependencyError('firehose', (err as Error).name ?? 'error');
        failed = pending;
      }
      if (attempt >= MAX_ATTEMPTS)
        throw new DependencyError('firehose', `${failed.length} records not accepted`);
      pending = failed;
      await this.sleep(Math.random() * Math.min(1000, 50 * 2 ** attempt));
    }
  }
}

/** The events' Firehose export: one {@link exportRecord} line per accepted event. */
export class FirehoseEventExport extends FirehoseRecordExport<IdentifiedEvent> {
  constructor(firehose: FirehoseClient, streamName: string, sleep?: (ms: number) => Promise<void>) {
    super(firehose, streamName, exportRecord, sleep);
  }
}
