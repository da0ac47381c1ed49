import { lazyFirehoseExport } from './adapters/firehose/lazy-event-export.js';
import { ArtifactEventExport, ArtifactRecordExport } from './adapters/local/artifact-event-export.js';
import { FolderArtifactStore } from './adapters/local/folder-artifact-store.js';
import { type Config, ConfigError } from './config/config.js';
import {
  type CatalogKind,
  type CatalogWrite,
  catalogExportPartition,
  catalogExportRecord,
} from './domain/catalog/catalog.js';
import type { EventExport, RecordExport } from './ports/events.js';

// Kept out of shared/composition.ts (like pipeline-container.ts) so the request function's bundle never
// carries the export adapters: only the POST functions use them.

type ExportMode = 'firehose' | 'folder' | 'off';

/** EVENT_EXPORT picks the mode of every export (events, users, items); its default depends on `stream`. */
function exportMode(cfg: Config, stream: string | undefined): ExportMode {
  return cfg.EVENT_EXPORT ?? (stream ? 'firehose' : cfg.ARTIFACT_DIR ? 'folder' : 'off');
}

/**
 * Where POST /events sends accepted events for training (see EVENT_EXPORT): Firehose on AWS, the local
 * artifact folder under `npm start`, or nowhere. A mode whose target is not configured fails at start.
 */
export function buildEventExport(cfg: Config): EventExport | undefined {
  const mode = exportMode(cfg, cfg.EVENT_EXPORT_STREAM);
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

/**
 * Where POST /users or POST /items sends accepted writes for the next night (`users/dt=…/`,
 * `items/dt=…/`): its own Firehose stream (USERS_EXPORT_STREAM / ITEMS_EXPORT_STREAM) on AWS, the local
 * artifact folder under `npm start`, or nowhere; same modes as the events' export.
 */
export function buildCatalogExport(cfg: Config, kind: CatalogKind): RecordExport<CatalogWrite> | undefined {
  const variable = kind === 'users' ? 'USERS_EXPORT_STREAM' : 'ITEMS_EXPORT_STREAM';
  const stream = cfg[variable];
  const mode = exportMode(cfg, stream);
  const serialize = (w: CatalogWrite) => catalogExportRecord(kind, w.record, w.writtenAt);
  if (mode === 'off') return undefined;
  if (mode === 'firehose') {
    if (!stream) throw new ConfigError(`invalid configuration: EVENT_EXPORT=firehose needs ${variable}`);
    return lazyFirehoseExport(stream, cfg.AWS_REGION, serialize);
  }
  if (!cfg.ARTIFACT_DIR)
    throw new ConfigError('invalid configuration: EVENT_EXPORT=folder needs ARTIFACT_DIR');
  return new ArtifactRecordExport(
    new FolderArtifactStore(cfg.ARTIFACT_DIR),
    (ms) => catalogExportPartition(kind, ms),
    serialize,
  );
}
