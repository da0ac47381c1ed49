import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDynamoClients } from '../../shared/adapters/dynamodb/clients.js';
import { DynamoNgItemStore } from '../../shared/adapters/dynamodb/ng-item-store.js';
import { DynamoPipelineStateStore } from '../../shared/adapters/dynamodb/pipeline-state-store.js';
import { DynamoPopularityStore } from '../../shared/adapters/dynamodb/popularity-store.js';
import {
  defaultTableNames,
  KEY_SCHEMAS,
  LOGICAL_TABLES,
  TTL_ATTRIBUTES,
} from '../../shared/adapters/dynamodb/tables.js';
import { DynamoUserProfileStore } from '../../shared/adapters/dynamodb/user-profile-store.js';
import { createTables, startLocalDynamo } from '../../shared/adapters/local/dynalite-server.js';
import { generateShop } from '../../shared/domain/data/generator.js';
import { GLOBAL_SEGMENT } from '../../shared/domain/popularity/segments.js';
import { publishPopularity } from '../../shared/use-cases/publish-popularity.js';
import { readRoutes } from '../../shared/adapters/local/routes.js';
import { ROOT } from '../helpers/start-process.js';

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const TABLE_RESOURCE: Record<string, string> = {
  recommendations: 'RecommendationsTable',
  state: 'StateTable',
  ngItems: 'NgItemsTable',
  users: 'UsersTable',
  events: 'EventsTable',
};

describe('serverless package (offline CloudFormation template)', () => {
  let dir: string;
  let resources: Record<string, Resource>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osusume-sls-'));
    await promisify(execFile)('npx', ['serverless', 'package', '--stage', 'ci', '--package', dir], {
      cwd: ROOT,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      timeout: 170_000,
    });
    const template = JSON.parse(
      await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
    );
    resources = template.Resources;
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  it('has a Lambda function and a zip for every function in serverless.yml', () => {
    const names = [...new Set(readRoutes(ROOT).map((r) => r.functionName))];
    const fns = ofType('AWS::Lambda::Function').map(([, r]) => r.Properties.FunctionName);
    for (const name of names) {
      expect(fns).toContain(`osusume-ci-${name}`);
      expect(existsSync(join(dir, `${name}.zip`))).toBe(true);
    }
  });

  it('runs functions on nodejs22.x with ESM handlers', () => {
    for (const [, r] of ofType('AWS::Lambda::Function')) {
      expect(r.Properties.Runtime).toBe('nodejs22.x');
    }
  });

  it('packages a request function that serves a real request without node_modules', async () => {
    const out = await mkdtemp(join(tmpdir(), 'osusume-artifact-'));
    const local = await startLocalDynamo();
    const { client, doc } = makeDynamoClients(local.endpoint);
    try {
      await promisify(execFile)('unzip', ['-q', join(dir, 'get-recommendations.zip'), '-d', out]);
      const file = join(out, 'functions/api/get-recommendations.mjs');
      const source = await readFile(file, 'utf8');
      expect(source).not.toMatch(/from\s*["']@aws-sdk\//);
      // global popularity published through the real adapters, its top item then put on the NG list
      const names = defaultTableNames('ci');
      await createTables(client, names);
      const popularity = new DynamoPopularityStore(doc, { tableName: names.recommendations });
      const { version } = await publishPopularity(
        {
          popularity,
          profiles: new DynamoUserProfileStore(doc, { tableName: names.users }),
          state: new DynamoPipelineStateStore(doc, { tableName: names.state }),
        },
        generateShop({ users: 60, items: 80, days: 10, seed: 3 }).dataset,
      );
      const popular = await popularity.getSegmentLists(version, [GLOBAL_SEGMENT]);
      const top = popular.get(GLOBAL_SEGMENT)![0].itemId;
      await new DynamoNgItemStore(doc, { tableName: names.ngItems }).put({
        itemId: top,
        createdAt: Date.now(),
      });

      const invoke = `const { handler } = await import(process.argv[1]);
const event = { version: '2.0', rawPath: '/users/artifact-user/recommendations', rawQueryString: 'numResults=10', headers: {},
  pathParameters: { userId: 'artifact-user' }, queryStringParameters: { numResults: '10' },
  requestContext: { http: { method: 'GET', path: '/users/artifact-user/recommendations' }, requestId: 'r1' }, isBase64Encoded: false };
const context = { functionName: 'get-recommendations', awsRequestId: 'r1', getRemainingTimeInMillis: () => 5000 };
process.stdout.write('\\n' + JSON.stringify(await handler(event, context)) + '\\n');`;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--no-warnings', '--input-type=module', '-e', invoke, file],
        {
          cwd: out,
          env: {
            PATH: process.env.PATH ?? '',
            AWS_REGION: 'ap-northeast-1',
            DYNAMODB_ENDPOINT: local.endpoint,
            TABLE_RECOMMENDATIONS: names.recommendations,
            TABLE_STATE: names.state,
            TABLE_NG_ITEMS: names.ngItems,
            TABLE_USERS: names.users,
            TABLE_EVENTS: names.events,
          },
        },
      );
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
      expect(result.statusCode).toBe(200);
      const body = JSON.parse(result.body);
      const ids = body.itemList.map((i: { itemId: string }) => i.itemId);
      expect(ids).toHaveLength(10);
      expect(ids).not.toContain(top);
      expect(body.itemList[0].source).toBe('popularity:global');
    } finally {
      client.destroy();
      await local.stop();
      await rm(out, { recursive: true, force: true });
    }
  });

  it('declares an HTTP API route for every httpApi event', () => {
    const routeKeys = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    for (const r of readRoutes(ROOT)) expect(routeKeys).toContain(`${r.method} ${r.path}`);
  });

  it('declares every table with the key schema the adapters use, and TTL where versions expire', () => {
    for (const t of LOGICAL_TABLES) {
      const res = resources[TABLE_RESOURCE[t]];
      expect(res?.Type).toBe('AWS::DynamoDB::Table');
      const keys = res.Properties.KeySchema as { AttributeName: string; KeyType: string }[];
      expect(keys.find((k) => k.KeyType === 'HASH')?.AttributeName).toBe(KEY_SCHEMAS[t].hash);
      expect(keys.find((k) => k.KeyType === 'RANGE')?.AttributeName).toBe(KEY_SCHEMAS[t].range);
      const ttl = res.Properties.TimeToLiveSpecification as { AttributeName: string } | undefined;
      expect(ttl?.AttributeName).toBe(TTL_ATTRIBUTES[t]);
    }
  });

  it('grants no wildcard action or resource on data services', () => {
    for (const [, role] of ofType('AWS::IAM::Role')) {
      const policies = (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
      for (const st of policies.flatMap((p) => p.PolicyDocument.Statement)) {
        const actions = ([] as string[]).concat(st.Action);
        const data = actions.filter((a) => /^(dynamodb|s3|personalize|states|sns|events):/.test(a));
        if (data.length === 0) continue;
        expect(actions.some((a) => a.includes('*'))).toBe(false);
        expect(JSON.stringify(st.Resource)).not.toBe('"*"');
        expect(JSON.stringify(st.Resource)).not.toContain('["*"]');
      }
    }
  });

  it('gives the recommendations function read-only DynamoDB access, except impressions on the events table', () => {
    const role = Object.entries(resources).find(
      ([k, r]) => r.Type === 'AWS::IAM::Role' && k.startsWith('GetDashrecommendations'),
    )?.[1];
    expect(role).toBeDefined();
    const statements = (role!.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[])
      .flatMap((p) => p.PolicyDocument.Statement)
      .filter((s) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('dynamodb:')));
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      const writes = ([] as string[])
        .concat(s.Action)
        .filter((a) => !/^dynamodb:(Get|BatchGet|Query|Scan)/.test(a));
      // the only write: PutItem of an impression, on the events table alone
      if (writes.length > 0) {
        expect(writes).toEqual(['dynamodb:PutItem']);
        expect(JSON.stringify(s.Resource)).toContain('EventsTable');
        expect(JSON.stringify(s.Resource)).not.toMatch(/Recommendations|StateTable|NgItems|UsersTable/);
      }
    }
  });

  // ---- pipelines (issue 4): state machines, schedules, roles ----
  const policyStatements = (role: Resource) =>
    ((role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
      (p) => p.PolicyDocument.Statement,
    );
  const machine = (name: string) =>
    ofType('AWS::StepFunctions::StateMachine').find(
      ([, r]) => r.Properties.StateMachineName === `osusume-ci-${name}`,
    )?.[1];

  it('deploys both state machines from the ASL files, with Lambda ARNs resolved', () => {
    const scoring = JSON.stringify(machine('nightly-scoring')?.Properties.DefinitionString);
    expect(scoring).toContain('ScoreCfShardsDistributed');
    expect(scoring).toContain('PrepareDashdatasetLambdaFunction');
    const personalize = JSON.stringify(machine('personalize-retraining')?.Properties.DefinitionString);
    expect(personalize).toContain('arn:aws:states:::aws-sdk:personalize:createSolutionVersion');
  });

  it('schedules both pipelines with EventBridge rules passing their execution input', () => {
    const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
    const byName = Object.fromEntries(rules.map((r) => [r.Name, r]));
    // 18:00 UTC = 03:00 JST
    expect(byName['osusume-ci-nightly-scoring']?.ScheduleExpression).toBe('cron(0 18 * * ? *)');
    const targets = byName['osusume-ci-personalize-retraining']?.Targets as { Input: string }[];
    expect(JSON.parse(targets[0].Input)).toEqual({ trigger: 'schedule', hpo: false });
  });

  it('leaves both schedules disabled on a stage other than prod', () => {
    const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
    expect(rules.map((r) => [r.Name, r.State])).toEqual(
      expect.arrayContaining([
        ['osusume-ci-nightly-scoring', 'DISABLED'],
        ['osusume-ci-personalize-retraining', 'DISABLED'],
      ]),
    );
  });

  it('enables both schedules on prod', async () => {
    const { stdout } = await promisify(execFile)(
      'npx',
      // prod serves the personalize arm from a campaign, which must be named (see the next test)
      [
        'serverless',
        'print',
        '--stage',
        'prod',
        '--format',
        'json',
        '--param=personalizeCampaign=osusume-prod',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
        timeout: 60_000,
      },
    );
    const printed = JSON.parse(stdout);
    expect(printed.custom.schedules.enabled).toBe(true);
    expect(printed.provider.environment.PERSONALIZE_MODE).toBe('campaign');
  }, 90_000);

  it('refuses to package prod with the personalize arm on and no campaign, saying what to set', async () => {
    const out = await mkdtemp(join(tmpdir(), 'osusume-sls-prod-'));
    try {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
      };
      delete env.PERSONALIZE_CAMPAIGN_ARN;
      delete env.PERSONALIZE_MODE;
      delete env.OSUSUME_EXPERIMENTS;
      const failure = await promisify(execFile)(
        'npx',
        ['serverless', 'package', '--stage', 'prod', '--package', out],
        { cwd: ROOT, env, timeout: 120_000 },
      ).then(
        () => undefined,
        (err: { stdout: string; stderr: string }) => `${err.stdout}${err.stderr}`,
      );
      expect(failure).toBeDefined();
      expect(failure).toContain('stage prod serves the personalize arm');
      expect(failure).toContain('personalizeCampaign=');
      expect(existsSync(join(out, 'cloudformation-template-update-stack.json'))).toBe(false);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 150_000);

  it('lets only the request function read the campaign parameter and only the retraining machine write it', () => {
    const grants = (action: string) =>
      ofType('AWS::IAM::Role')
        .filter(([, role]) =>
          policyStatements(role).some((s) => ([] as string[]).concat(s.Action).includes(action)),
        )
        .map(([k, role]) => ({
          role: k,
          resources: JSON.stringify(
            policyStatements(role)
              .filter((s) => ([] as string[]).concat(s.Action).includes(action))
              .map((s) => s.Resource),
          ),
        }));
    const reads = grants('ssm:GetParameter');
    expect(reads.map((g) => g.role)).toEqual([expect.stringMatching(/^GetDashrecommendations/)]);
    expect(reads[0].resources).toContain('parameter/osusume/ci/personalize/campaign-arn');
    const writes = grants('ssm:PutParameter');
    expect(writes.map((g) => g.role)).toEqual([expect.stringContaining('personalizeDashretrainingRole')]);
    expect(writes[0].resources).toContain('parameter/osusume/ci/personalize/campaign-arn');
  });

  it('gives the Personalize state machine only the Personalize actions it calls, on its own resources', () => {
    const [, role] =
      ofType('AWS::IAM::Role').find(([k]) => k.includes('personalizeDashretrainingRole')) ?? [];
    expect(role).toBeDefined();
    const statements = policyStatements(role as Resource);
    const actions = statements
      .flatMap((s) => ([] as string[]).concat(s.Action))
      .filter((a) => a.startsWith('personalize:'));
    expect(new Set(actions)).toEqual(
      new Set([
        'personalize:CreateDatasetImportJob',
        'personalize:DescribeDatasetImportJob',
        'personalize:CreateSolution',
        'personalize:DescribeSolution',
        'personalize:CreateSolutionVersion',
        'personalize:DescribeSolutionVersion',
        'personalize:GetSolutionMetrics',
        'personalize:DescribeCampaign',
        'personalize:UpdateCampaign',
      ]),
    );
    const passRole = statements.find((s) => ([] as string[]).concat(s.Action).includes('iam:PassRole'));
    expect(JSON.stringify(passRole?.Resource)).toContain('role/osusume-ci-personalize');
  });

  it('lets a scoring shard only read and list run artifacts and batch-write recommendations', () => {
    const [, role] = ofType('AWS::IAM::Role').find(([k]) => k.startsWith('ScoreDashshard')) ?? [];
    const actions = policyStatements(role as Resource)
      .flatMap((s) => ([] as string[]).concat(s.Action))
      .filter((a) => /^(s3|dynamodb):/.test(a));
    expect(actions.sort()).toEqual(['dynamodb:BatchWriteItem', 's3:GetObject', 's3:ListBucket']);
  });

  it('delivers accepted events to S3 day partitions through a Firehose stream only POST /events writes to', () => {
    const [, stream] = ofType('AWS::KinesisFirehose::DeliveryStream')[0] ?? [];
    const dest = (stream as Resource).Properties.ExtendedS3DestinationConfiguration as Record<
      string,
      unknown
    >;
    expect(dest.Prefix).toBe('events/dt=!{timestamp:yyyy-MM-dd}/');
    const writers = ofType('AWS::IAM::Role').filter(([, role]) =>
      policyStatements(role as Resource).some((st) =>
        ([] as string[]).concat(st.Action).includes('firehose:PutRecordBatch'),
      ),
    );
    expect(writers.map(([k]) => k)).toEqual([expect.stringMatching(/^PostDasheventsIamRoleLambdaExecution/)]);
  });
});
