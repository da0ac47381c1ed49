import { S3Client } from '@aws-sdk/client-s3';
import { FolderArtifactStore } from '../adapters/local/folder-artifact-store.js';
import { S3ArtifactStore } from '../adapters/s3/s3-artifact-store.js';
import { buildContainer, type Container } from '../composition.js';
import { config } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import type { ArtifactStore } from '../ports/artifacts.js';

/**
 * What the pipeline Lambdas need on top of the request-path container: the artifact store. Kept out
 * of shared/composition.ts so that request-path bundles never import the S3 client.
 */
export interface PipelineDeps extends Container {
  readonly artifacts: ArtifactStore;
}

let deps: PipelineDeps | undefined;

/** Builds the artifact store from configuration: S3 (ARTIFACT_BUCKET) on AWS, a folder (ARTIFACT_DIR) locally. */
export function buildArtifactStore(cfg: Container['config']): ArtifactStore {
  if (cfg.ARTIFACT_BUCKET)
    return new S3ArtifactStore(new S3Client({ region: cfg.AWS_REGION }), cfg.ARTIFACT_BUCKET);
  if (cfg.ARTIFACT_DIR) return new FolderArtifactStore(cfg.ARTIFACT_DIR);
  throw new ConfigError('invalid configuration: ARTIFACT_BUCKET (AWS) or ARTIFACT_DIR (local) is required');
}

/** The process-wide pipeline dependencies (built once per Lambda container). */
export function getPipelineDeps(): PipelineDeps {
  if (!deps) {
    // the pipeline's own DynamoDB client: request-path deadlines would fail batch writes in flight
    // while scoring holds the event loop
    const cfg = config();
    const c = buildContainer({ ...cfg, DYNAMODB_TIMEOUT_MS: cfg.PIPELINE_DYNAMODB_TIMEOUT_MS });
    deps = { ...c, artifacts: buildArtifactStore(c.config) };
  }
  return deps;
}
