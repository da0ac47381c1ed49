import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '../../domain/events/events.js';
import { exportPartition, exportRecord } from '../../domain/events/export.js';
import type { EventExport } from '../../ports/events.js';
import type { FolderArtifactStore } from './folder-artifact-store.js';

/**
 * The local stand-in for the Firehose delivery stream: each call writes one object of JSON lines under the
 * day partition Firehose would use (`events/dt=YYYY-MM-DD/`), in the pipeline's artifact folder, so the
 * nightly merge reads local and AWS exports with the same code.
 */
export class ArtifactEventExport implements EventExport {
  constructor(
    // the local folder, not any ArtifactStore: on AWS the export is Firehose, never one S3 object per POST
    private readonly artifacts: FolderArtifactStore,
    private readonly now: () => number = Date.now,
  ) {}

  async export(events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const t = this.now();
    // the time first, so a partition's objects list in arrival order (oldest delivery wins the dedupe)
    const key = `${exportPartition(t)}${String(t).padStart(15, '0')}-${randomUUID()}.jsonl`;
    await this.artifacts.put(key, events.map(exportRecord).join(''));
  }
}
