import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import {
  type AvroSchema,
  type DatasetKind,
  schemaFromHeader,
} from '../../domain/data/personalize-schemas.js';
import { DataError, ValidationError } from '../../domain/errors.js';

interface BootstrapCliOptions {
  stage: string;
  region?: string;
  data?: string;
  bucket?: string;
  local?: boolean;
}

/** The header of a CSV file (its first record), or undefined when the file does not exist. */
async function readHeader(file: string): Promise<string[] | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(65_536), 0, 65_536, 0);
    const text = buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
    if (firstLine.trim() === '') throw new DataError('file is empty: expected a header', file, 1);
    const [header] = parse(firstLine, { relax_quotes: true }) as string[][];
    return header;
  } finally {
    await handle.close();
  }
}

/** Schemas from `--data DIR`'s headers (interactions.csv required), else from the contract's minimal headers. */
export async function schemasFromData(
  dir: string | undefined,
): Promise<Partial<Record<DatasetKind, AvroSchema>> & { interactions: AvroSchema }> {
  if (!dir) {
    return {
      interactions: schemaFromHeader(
        'interactions',
        ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_TYPE'],
        'default',
      ),
    };
  }
  const out: Partial<Record<DatasetKind, AvroSchema>> = {};
  for (const kind of ['interactions', 'users', 'items'] as const) {
    const file = join(dir, `${kind}.csv`);
    const header = await readHeader(file);
    if (!header) {
      if (kind === 'interactions')
        throw new DataError('file not found: the dataset needs interactions.csv', file);
      continue;
    }
    out[kind] = schemaFromHeader(kind, header, file);
  }
  return out as Partial<Record<DatasetKind, AvroSchema>> & { interactions: AvroSchema };
}

/** `osusume personalize bootstrap --stage S [--region R] [--data DIR] [--bucket B] [--local]`. */
export function register(program: Command): void {
  const personalize = program.command('personalize').description('Amazon Personalize resources of a stage');
  personalize
    .command('bootstrap')
    .description(
      'create (idempotently) the dataset group, schemas from the CSV headers, datasets, event tracker and the role Personalize assumes',
    )
    .requiredOption('--stage <stage>', 'stage (names: osusume-{stage}, osusume-{stage}-personalize)')
    .option('--region <region>', 'AWS region (default $AWS_REGION or ap-northeast-1)')
    .option(
      '--data <dir>',
      'folder with interactions.csv [users.csv items.csv]: the schemas follow their headers',
    )
    .option(
      '--bucket <name>',
      'artifact bucket the role may read (the stack output ArtifactBucketName); required on AWS',
    )
    .option('--local', 'run against the local Personalize simulator instead of AWS')
    .action(async (opts: BootstrapCliOptions) => {
      if (!/^[a-zA-Z0-9-]{1,40}$/.test(opts.stage))
        throw new ValidationError(`--stage must be letters, digits and '-', got '${opts.stage}'`, '--stage');
      const schemas = await schemasFromData(opts.data);
      const { bootstrapPersonalize } = await import('../../pipeline/personalize-bootstrap.js');
      const log = (line: string) => console.log(`[osusume] ${line}`);
      let result: Awaited<ReturnType<typeof bootstrapPersonalize>>;
      if (opts.local) {
        const { PersonalizeSimulator } = await import('../../adapters/local/personalize-simulator.js');
        const clients = new PersonalizeSimulator({ stepMs: 5 }).sdkClients();
        const options = {
          stage: opts.stage,
          schemas,
          bucket: opts.bucket ?? 'local-artifacts',
          pollMs: 5,
          log,
        };
        type Clients = Parameters<typeof bootstrapPersonalize>;
        result = await bootstrapPersonalize(
          clients.personalize as unknown as Clients[0],
          clients.iam as unknown as Clients[1],
          options,
        );
      } else {
        if (!opts.bucket)
          throw new ValidationError(
            '--bucket is required on AWS (the stack output ArtifactBucketName)',
            '--bucket',
          );
        const region = opts.region ?? process.env.AWS_REGION ?? 'ap-northeast-1';
        const [{ PersonalizeClient }, { IAMClient }] = await Promise.all([
          import('@aws-sdk/client-personalize'),
          import('@aws-sdk/client-iam'),
        ]);
        result = await bootstrapPersonalize(new PersonalizeClient({ region }), new IAMClient({ region }), {
          stage: opts.stage,
          schemas,
          bucket: opts.bucket,
          log,
        });
      }
      log(`dataset group ${result.datasetGroupArn}`);
      log(`role          ${result.roleArn}`);
      log(`tracking id   ${result.trackingId}  (deploy with PERSONALIZE_TRACKING_ID=${result.trackingId})`);
      log(
        result.created.length === 0
          ? 'nothing to create: already bootstrapped'
          : `created ${result.created.length}`,
      );
    });
}
