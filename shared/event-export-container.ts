import { lazyFirehoseExport } from './adapters/firehose/lazy-event-export.js';
import { ArtifactEventExport } from './adapters/local/artifact-event-export.js';
import { FolderArtifactStore } from './adapters/local/folder-artifact-store.js';
import { type Config, ConfigError } from './config/config.js';
import type { EventExport } from './ports/events.js';

// Kept out of shared/composition.ts (like pipeline-container.ts) so the request function's bundle never
// carries the export adapters: only POST /events uses them.

/**
 * Where POST /events sends accepted events for training (see EVENT_EXPORT): Firehose on AWS, the local
 * artifact folder under `npm start`, or nowhere. A mode whose target is not configured fails at start.
 */
export function buildEventExport(cfg: Config): EventExport | undefined {
  const mode =
    cfg.EVENT_EXPORT ?? (cfg.EVENT_EXPORT_STREAM ? 'firehose' : cfg.ARTIFACT_DIR ? 'folder' : 'off');
  if (mode === 'off') return undefined;
  if (mode === 'firehose') {
    if (!cfg.EVENT_EXPORT_STREAM)
      throw new ConfigError('invalid configuration: EVENT_EXPORT=firehose needs EVENT_EXPORT_STREAM');
    return lazyFirehoseExport(cfg.EVENT_EXPORT_STREAM, cfg.AWS_REGION);
  }
  if (!cfg.ARTIFACT_DIR)
    throw new ConfigError('invalid configuration: EVENT_EXPORT=folder needs ARTIFACT_DIR');
  return new ArtifactEventExport(new FolderArtifactStore(cfg.ARTIFACT_DIR));
}
