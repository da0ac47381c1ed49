import {
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
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
  PersonalizeClient,
} from '@aws-sdk/client-personalize';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { PersonalizeSimulator } from '../../shared/adapters/local/personalize-simulator.js';
import { schemasFromData } from '../../shared/cli/commands/personalize.js';
import { writeShop } from '../../shared/domain/data/generator.js';
import { schemaFromHeader } from '../../shared/domain/data/personalize-schemas.js';
import { DataError } from '../../shared/domain/errors.js';
import { bootstrapPersonalize } from '../../shared/pipeline/personalize-bootstrap.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const personalize = mockClient(PersonalizeClient);
const iam = mockClient(IAMClient);
/** Calls of CreateDatasetGroup, CreateSchema, CreateDataset, CreateEventTracker. */
const createCounts = () => [
  personalize.commandCalls(CreateDatasetGroupCommand).length,
  personalize.commandCalls(CreateSchemaCommand).length,
  personalize.commandCalls(CreateDatasetCommand).length,
  personalize.commandCalls(CreateEventTrackerCommand).length,
];

/** A stateful fake of the control plane behind aws-sdk-client-mock: what a create made, a list returns. */
function fakeAws() {
  const arn = (kind: string, name: string) =>
    `arn:aws:personalize:ap-northeast-1:123456789012:${kind}/${name}`;
  const groups: { name: string; datasetGroupArn: string }[] = [];
  const schemas: { name: string; schemaArn: string }[] = [];
  const datasets: { datasetArn: string; datasetType: string; datasetGroupArn: string }[] = [];
  const trackers: { name: string; eventTrackerArn: string; datasetGroupArn: string }[] = [];
  let role: string | undefined;
  let policy: string | undefined;
  personalize.on(ListDatasetGroupsCommand).callsFake(async () => ({ datasetGroups: [...groups] }));
  personalize.on(CreateDatasetGroupCommand).callsFake(async (i) => {
    groups.push({ name: i.name, datasetGroupArn: arn('dataset-group', i.name) });
    return { datasetGroupArn: arn('dataset-group', i.name) };
  });
  personalize.on(DescribeDatasetGroupCommand).resolves({ datasetGroup: { status: 'ACTIVE' } });
  personalize.on(ListSchemasCommand).callsFake(async () => ({ schemas: [...schemas] }));
  personalize.on(CreateSchemaCommand).callsFake(async (i) => {
    schemas.push({ name: i.name, schemaArn: arn('schema', i.name) });
    return { schemaArn: arn('schema', i.name) };
  });
  personalize.on(ListDatasetsCommand).callsFake(async (i) => ({
    datasets: datasets.filter((d) => d.datasetGroupArn === i.datasetGroupArn),
  }));
  personalize.on(CreateDatasetCommand).callsFake(async (i) => {
    const datasetArn = arn('dataset', `osusume-prod/${String(i.datasetType).toUpperCase()}`);
    datasets.push({ datasetArn, datasetType: i.datasetType, datasetGroupArn: i.datasetGroupArn });
    return { datasetArn };
  });
  personalize.on(ListEventTrackersCommand).callsFake(async () => ({ eventTrackers: [...trackers] }));
  personalize.on(CreateEventTrackerCommand).callsFake(async (i) => {
    trackers.push({
      name: i.name,
      eventTrackerArn: arn('event-tracker', 'abc'),
      datasetGroupArn: i.datasetGroupArn,
    });
    return { eventTrackerArn: arn('event-tracker', 'abc'), trackingId: 'tid-1' };
  });
  personalize.on(DescribeEventTrackerCommand).resolves({ eventTracker: { trackingId: 'tid-1' } });
  const noSuchEntity = () => Object.assign(new Error('not found'), { name: 'NoSuchEntityException' });
  iam.on(GetRoleCommand).callsFake(async () => {
    if (!role) throw noSuchEntity();
    return { Role: { Arn: role } };
  });
  iam.on(CreateRoleCommand).callsFake(async (i) => {
    role = `arn:aws:iam::123456789012:role/${i.RoleName}`;
    return { Role: { Arn: role } };
  });
  iam.on(GetRolePolicyCommand).callsFake(async () => {
    if (!policy) throw noSuchEntity();
    return { PolicyDocument: encodeURIComponent(policy) };
  });
  iam.on(PutRolePolicyCommand).callsFake(async (i) => {
    policy = i.PolicyDocument;
    return {};
  });
}

let dir: string;
beforeEach(async () => {
  personalize.reset();
  iam.reset();
  dir ??= await mkdtemp(join(tmpdir(), 'osusume-bootstrap-'));
});
afterAll(async () => {
  personalize.restore();
  iam.restore();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('osusume personalize bootstrap', () => {
  it('creates every resource once from the CSV headers, and a second run creates nothing', async () => {
    fakeAws();
    const shop = join(dir, 'shop');
    await writeShop({ users: 10, items: 10, days: 2, seed: 1 }, shop);
    const options = { stage: 'prod', schemas: await schemasFromData(shop), bucket: 'osusume-prod-artifacts' };
    const clients = [
      new PersonalizeClient({ region: 'ap-northeast-1' }),
      new IAMClient({ region: 'ap-northeast-1' }),
    ] as const;
    const first = await bootstrapPersonalize(...clients, options);
    expect(createCounts()).toEqual([1, 3, 3, 1]);
    expect(personalize.commandCalls(CreateSchemaCommand)).toHaveLength(3);
    expect(personalize.commandCalls(CreateDatasetCommand).map((c) => c.args[0].input.datasetType)).toEqual([
      'Interactions',
      'Users',
      'Items',
    ]);
    expect(iam.commandCalls(CreateRoleCommand)).toHaveLength(1);
    const trust = JSON.parse(iam.commandCalls(CreateRoleCommand)[0].args[0].input.AssumeRolePolicyDocument!);
    expect(trust.Statement[0].Principal.Service).toBe('personalize.amazonaws.com');
    expect(iam.commandCalls(PutRolePolicyCommand)[0].args[0].input.PolicyDocument).toContain(
      'arn:aws:s3:::osusume-prod-artifacts/runs/*',
    );
    const items = JSON.parse(personalize.commandCalls(CreateSchemaCommand)[2].args[0].input.schema!);
    expect(items.fields).toEqual([
      { name: 'ITEM_ID', type: 'string' },
      { name: 'CATEGORY', type: ['null', 'string'], categorical: true },
      { name: 'PRICE_BAND', type: ['null', 'string'], categorical: true },
      { name: 'CREATION_TIMESTAMP', type: 'long' },
    ]);
    expect(first).toMatchObject({
      trackingId: 'tid-1',
      roleArn: 'arn:aws:iam::123456789012:role/osusume-prod-personalize',
    });
    expect(first.datasets.interactions).toBe(
      'arn:aws:personalize:ap-northeast-1:123456789012:dataset/osusume-prod/INTERACTIONS',
    );

    const second = await bootstrapPersonalize(...clients, options);
    expect(second.created).toEqual([]);
    expect(createCounts()).toEqual([1, 3, 3, 1]);
    expect(iam.commandCalls(CreateRoleCommand)).toHaveLength(1);
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
    expect(second.trackingId).toBe(first.trackingId);
  });

  it('runs locally against the simulator, idempotently', async () => {
    const sim = new PersonalizeSimulator({ stepMs: 2 });
    const { personalize: p, iam: i } = sim.sdkClients();
    const options = { stage: 'local', schemas: await schemasFromData(undefined), bucket: 'b', pollMs: 2 };
    const first = await bootstrapPersonalize(
      p as unknown as PersonalizeClient,
      i as unknown as IAMClient,
      options,
    );
    expect(first.created.length).toBeGreaterThan(0);
    const second = await bootstrapPersonalize(
      p as unknown as PersonalizeClient,
      i as unknown as IAMClient,
      options,
    );
    expect(second.created).toEqual([]);
    expect(sim.calls.filter((c) => /:Create/.test(c.action)).map((c) => c.action)).toEqual([
      'personalize:CreateDatasetGroup',
      'personalize:CreateSchema',
      'personalize:CreateDataset',
      'personalize:CreateEventTracker',
      'iam:CreateRole',
    ]);
  });

  it('rejects an interactions header without TIMESTAMP, naming the file and line', async () => {
    const file = join(dir, 'bad', 'interactions.csv');
    await rm(join(dir, 'bad'), { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'bad')));
    await writeFile(file, 'USER_ID,ITEM_ID\nu1,i1\n');
    const err = await schemasFromData(join(dir, 'bad')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toBe(
      `${file}:1: header lacks TIMESTAMP (needs USER_ID,ITEM_ID,TIMESTAMP)`,
    );
  });

  it('types interactions fields as Personalize expects and other columns as categorical strings', () => {
    const schema = schemaFromHeader(
      'interactions',
      ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_VALUE', 'DEVICE'],
      'f',
    );
    expect(schema.fields).toEqual([
      { name: 'USER_ID', type: 'string' },
      { name: 'ITEM_ID', type: 'string' },
      { name: 'TIMESTAMP', type: 'long' },
      { name: 'EVENT_VALUE', type: ['null', 'float'] },
      { name: 'DEVICE', type: ['null', 'string'], categorical: true },
      { name: 'EVENT_TYPE', type: 'string' },
    ]);
  });
});
