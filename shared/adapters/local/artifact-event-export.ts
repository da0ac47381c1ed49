import { randomUUID } from 'node:crypto';
import type { IdentifiedEvent } from '../../domain/events/events.js';
import { exportPartition, exportRecord } from '../../domain/events/export.js';
import type { RecordExport } from '../../ports/events.js';
import type { FolderArtifactStore } from './folder-artifact-store.js';

/**
 * The local stand-in for a Firehose delivery stream: each call writes one object of JSON lines under the
 * day partition Firehose would use (e.g. `events/dt=YYYY-MM-DD/`), in the pipeline's artifact folder, so the
 * nightly merge reads local and AWS exports with the same code. It takes the local folder, not any
 * ArtifactStore: on AWS the export is Firehose, never one S3 object per POST.
 */
export class ArtifactRecordExport<T> implements RecordExport<T> {
  constructor(
    private readonly artifacts: FolderArtifactStore,
    /** The partition prefix of an arrival time, as the stream's Firehose prefix would make it. */
    private readonly partition: (ms: number) => string,
    private readonly serialize: (record: T) => string,
    private readonly now: () => number = Date.now,
  ) {}

  async export(records: readonly T[]): Promise<void> {
    if (records.length === 0) return;
    const t = this.now();
    // the time first, so a partition's objects list in arrival order (oldest delivery wins the dedupe)
    const key = `${this.partition(t)}${String(t).padStart(15, '0')}-${randomUUID()}.jsonl`;
    await this.artifacts.put(key, records.map(this.serialize).join(''));
  }
}

/** The events' folder export under `events/dt=YYYY-MM-DD/`. */
export class ArtifactEventExport extends ArtifactRecordExport<IdentifiedEvent> {
  constructor(artifacts: FolderArtifactStore, now?: () => number) {
    super(artifacts, exportPartition, exportRecord, now);
  }
}
