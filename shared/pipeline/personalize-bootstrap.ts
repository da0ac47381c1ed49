/**
 * `osusume personalize bootstrap`: creates what the retraining state machine expects to exist, under the
 * names serverless.yml derives (dataset group `osusume-{stage}`, datasets `…/INTERACTIONS|USERS|ITEMS`,
 * role `osusume-{stage}-personalize`). Idempotent: every resource is looked up first and created only when
 * missing, so a second run creates nothing.
 */
import {
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  type IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateDatasetCommand,
  CreateDatasetGroupCommand,
  CreateEventTrackerCommand,
  CreateSchemaCommand,
  DescribeDatasetGroupCommand,
  DescribeEventTrackerCommand,
  ListDatasetGroupsCommand,
  ListDatasetsCommand,
  ListEventTrackersCommand,
  ListSchemasCommand,
  type PersonalizeClient,
} from '@aws-sdk/client-personalize';
import type { AvroSchema, DatasetKind } from '../domain/data/personalize-schemas.js';
import { DependencyError } from '../domain/errors.js';

export interface BootstrapOptions {
  readonly stage: string;
  /** Schemas derived from the CSV headers (users and items optional). */
  readonly schemas: Partial<Record<DatasetKind, AvroSchema>> & { interactions: AvroSchema };
  /** The artifact bucket the role may read (the nightly snapshots). */
  readonly bucket: string;
  /** Waits between DescribeDatasetGroup polls (default 5 s) and how many (default 120). */
  readonly pollMs?: number;
  readonly maxPolls?: number;
  readonly log?: (line: string) => void;
}

export interface BootstrapResult {
  readonly datasetGroupArn: string;
  readonly datasets: Partial<Record<DatasetKind, string>>;
  readonly trackingId: string;
  readonly roleArn: string;
  /** What this run created (empty on a second run). */
  readonly created: string[];
}

const DATASET_TYPE: Record<DatasetKind, string> = {
  interactions: 'Interactions',
  users: 'Users',
  items: 'Items',
};

/** Every page of a Personalize List call. */
async function listAll<T>(
  page: (token?: string) => Promise<{ items?: T[]; nextToken?: string }>,
): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const r = await page(token);
    out.push(...(r.items ?? []));
    token = r.nextToken;
  } while (token);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates (or finds) the dataset group, schemas, datasets, event tracker and role of a stage. */
export async function bootstrapPersonalize(
  personalize: PersonalizeClient,
  iam: IAMClient,
  options: BootstrapOptions,
): Promise<BootstrapResult> {
  const log = options.log ?? (() => undefined);
  const prefix = `osusume-${options.stage}`;
  const created: string[] = [];
  const note = (what: string, isNew: boolean) => {
    if (isNew) created.push(what);
    log(`${isNew ? 'created' : 'exists '} ${what}`);
  };

  // dataset group
  const groups = await listAll((nextToken) =>
    personalize
      .send(new ListDatasetGroupsCommand({ nextToken, maxResults: 100 }))
      .then((r) => ({ items: r.datasetGroups, nextToken: r.nextToken })),
  );
  let datasetGroupArn = groups.find((g) => g.name === prefix)?.datasetGroupArn;
  note(`dataset group ${prefix}`, datasetGroupArn === undefined);
  datasetGroupArn ??= (await personalize.send(new CreateDatasetGroupCommand({ name: prefix })))
    .datasetGroupArn;
  if (!datasetGroupArn) throw new DependencyError('personalize', 'CreateDatasetGroup returned no ARN');
  // datasets can only be added to an ACTIVE group
  for (let poll = 0; ; poll++) {
    const status = (await personalize.send(new DescribeDatasetGroupCommand({ datasetGroupArn }))).datasetGroup
      ?.status;
    if (status === 'ACTIVE') break;
    if (status === 'CREATE FAILED')
      throw new DependencyError('personalize', `dataset group ${datasetGroupArn} ended CREATE FAILED`);
    if (poll >= (options.maxPolls ?? 120))
      throw new DependencyError(
        'personalize',
        `dataset group ${datasetGroupArn} not ACTIVE after ${poll} polls`,
      );
    await sleep(options.pollMs ?? 5000);
  }

  // schemas and datasets
  const schemas = await listAll((nextToken) =>
    personalize
      .send(new ListSchemasCommand({ nextToken, maxResults: 100 }))
      .then((r) => ({ items: r.schemas, nextToken: r.nextToken })),
  );
  const datasets = await listAll((nextToken) =>
    personalize
      .send(new ListDatasetsCommand({ datasetGroupArn, nextToken, maxResults: 100 }))
      .then((r) => ({ items: r.datasets, nextToken: r.nextToken })),
  );
  const datasetArns: Partial<Record<DatasetKind, string>> = {};
  for (const kind of ['interactions', 'users', 'items'] as const) {
    const schema = options.schemas[kind];
    if (!schema) continue;
    const existing = datasets.find((d) => d.datasetType?.toLowerCase() === kind);
    if (existing?.datasetArn) {
      note(`${kind} dataset`, false);
      datasetArns[kind] = existing.datasetArn;
      continue;
    }
    const schemaName = `${prefix}-${kind}`;
    let schemaArn = schemas.find((s) => s.name === schemaName)?.schemaArn;
    note(`schema ${schemaName} (${schema.fields.map((f) => f.name).join(', ')})`, schemaArn === undefined);
    schemaArn ??= (
      await personalize.send(new CreateSchemaCommand({ name: schemaName, schema: JSON.stringify(schema) }))
    ).schemaArn;
    const out = await personalize.send(
      new CreateDatasetCommand({
        name: schemaName,
        schemaArn,
        datasetGroupArn,
        datasetType: DATASET_TYPE[kind],
      }),
    );
    note(`${kind} dataset`, true);
    datasetArns[kind] = out.datasetArn;
  }

  // event tracker (PERSONALIZE_TRACKING_ID of POST /events)
  const trackers = await listAll((nextToken) =>
    personalize
      .send(new ListEventTrackersCommand({ datasetGroupArn, nextToken, maxResults: 100 }))
      .then((r) => ({ items: r.eventTrackers, nextToken: r.nextToken })),
  );
  const trackerArn = trackers.find((t) => t.name === prefix)?.eventTrackerArn;
  note(`event tracker ${prefix}`, trackerArn === undefined);
  const trackingId = trackerArn
    ? (await personalize.send(new DescribeEventTrackerCommand({ eventTrackerArn: trackerArn }))).eventTracker
        ?.trackingId
    : (await personalize.send(new CreateEventTrackerCommand({ name: prefix, datasetGroupArn }))).trackingId;
  if (!trackingId) throw new DependencyError('personalize', 'the event tracker has no trackingId');

  // the role Personalize assumes to read the snapshots
  const roleName = `${prefix}-personalize`;
  let roleArn: string | undefined;
  try {
    roleArn = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.Arn;
  } catch (err) {
    if ((err as Error).name !== 'NoSuchEntityException') throw err;
  }
  note(`role ${roleName}`, roleArn === undefined);
  roleArn ??= (
    await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        Description: `Amazon Personalize reads osusume ${options.stage} snapshots`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'personalize.amazonaws.com' },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    )
  ).Role?.Arn;
  if (!roleArn) throw new DependencyError('iam', `role ${roleName} has no ARN`);
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${options.bucket}`] },
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${options.bucket}/runs/*`] },
    ],
  });
  let current: string | undefined;
  try {
    const doc = (
      await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: 'read-snapshots' }))
    ).PolicyDocument;
    current = doc ? decodeURIComponent(doc) : undefined;
  } catch (err) {
    if ((err as Error).name !== 'NoSuchEntityException') throw err;
  }
  if (current !== policy) {
    await iam.send(
      new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'read-snapshots', PolicyDocument: policy }),
    );
    note(`policy read-snapshots (s3://${options.bucket}/runs/)`, true);
  } else note('policy read-snapshots', false);

  return { datasetGroupArn, datasets: datasetArns, trackingId, roleArn, created };
}
