import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
import { readServerlessYml, splitHandler } from '../../shared/adapters/local/serverless-yml.js';
import { actionsOf, adapterTables, reachableCommands } from '../helpers/sdk-reach.js';
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
  const policyStatements = (role: Resource) =>
    ((role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
      (p) => p.PolicyDocument.Statement,
    );

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

  it('packages a request function that serves a real request without node_modules, and its admin session preview only to IAM callers', async () => {
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
const preview = (iam) => ({ version: '2.0', routeKey: 'GET /admin/sessions/{sessionId}/recommendations',
  rawPath: '/admin/sessions/s-artifact/recommendations', rawQueryString: 'arm=cf&items=' + process.argv[2], headers: {},
  pathParameters: { sessionId: 's-artifact' }, queryStringParameters: { arm: 'cf', items: process.argv[2] },
  requestContext: { http: { method: 'GET', path: '/admin/sessions/s-artifact/recommendations' }, requestId: 'r2',
    ...(iam ? { authorizer: { iam: { accountId: '1', userArn: 'arn:aws:iam::1:user/qa' } } } : {}) }, isBase64Encoded: false });
const answers = [await handler(event, context), await handler(preview(true), context), await handler(preview(false), context)];
process.stdout.write('\\n' + JSON.stringify(answers) + '\\n');`;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--no-warnings', '--input-type=module', '-e', invoke, file, top],
        {
          cwd: out,
          env: {
            PATH: process.env.PATH ?? '',
            AWS_REGION: 'ap-northeast-1',
            // as serverless.yml deploys it: admin = an IAM-authorised caller
            ADMIN_AUTH: 'iam',
            DYNAMODB_ENDPOINT: local.endpoint,
            TABLE_RECOMMENDATIONS: names.recommendations,
            TABLE_STATE: names.state,
            TABLE_NG_ITEMS: names.ngItems,
            TABLE_USERS: names.users,
            TABLE_EVENTS: names.events,
          },
        },
      );
      const [result, preview, refused] = JSON.parse(stdout.trim().split('\n').at(-1)!);
      expect(result.statusCode).toBe(200);
      const body = JSON.parse(result.body);
      const ids = body.itemList.map((i: { itemId: string }) => i.itemId);
      expect(ids).toHaveLength(10);
      expect(ids).not.toContain(top);
      expect(body.itemList[0].source).toBe('popularity:global');
      // the admin session preview (items= and a forced arm) answers an IAM caller, and 401 to anyone else
      expect(preview.statusCode).toBe(200);
      expect(JSON.parse(preview.body)).toMatchObject({ sessionId: 's-artifact', arm: 'cf' });
      expect(refused.statusCode).toBe(401);
    } finally {
      client.destroy();
      await local.stop();
      await rm(out, { recursive: true, force: true });
    }
  });

  it('packages the console with its function, served to an IAM caller and refused to anyone else', async () => {
    const out = await mkdtemp(join(tmpdir(), 'osusume-console-'));
    try {
      await promisify(execFile)('unzip', ['-q', join(dir, 'get-console.zip'), '-d', out]);
      const invoke = `const { handler } = await import(process.argv[1]);
const ev = (iam) => ({ version: '2.0', rawPath: '/console', rawQueryString: '', headers: {}, requestContext: {
  http: { method: 'GET', path: '/console' }, requestId: 'r1', ...(iam ? { authorizer: { iam: { accountId: '1', userArn: 'arn:aws:iam::1:user/a' } } } : {}) }, isBase64Encoded: false });
const context = { functionName: 'get-console', awsRequestId: 'r1', getRemainingTimeInMillis: () => 5000 };
process.stdout.write('\\n' + JSON.stringify([await handler(ev(true), context), await handler(ev(false), context)]) + '\\n');`;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--no-warnings', '--input-type=module', '-e', invoke, join(out, 'functions/api/get-console.mjs')],
        {
          cwd: out,
          env: {
            PATH: process.env.PATH ?? '',
            AWS_REGION: 'ap-northeast-1',
            ADMIN_AUTH: 'iam',
            LAMBDA_TASK_ROOT: out,
            // the table names serverless.yml gives every function (the console reads none)
            ...Object.fromEntries(
              ['RECOMMENDATIONS', 'STATE', 'NG_ITEMS', 'USERS', 'EVENTS'].map((t) => [
                `TABLE_${t}`,
                `osusume-ci-${t}`,
              ]),
            ),
          },
        },
      );
      const [page, refused] = JSON.parse(stdout.trim().split('\n').at(-1)!);
      expect(page.statusCode).toBe(200);
      expect(Buffer.from(page.body, 'base64').toString('utf8')).toContain('<title>osusume console</title>');
      expect(refused.statusCode).toBe(401);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('declares an HTTP API route for every httpApi event', () => {
    const routeKeys = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    for (const r of readRoutes(ROOT)) expect(routeKeys).toContain(`${r.method} ${r.path}`);
  });

  it('puts the app routes behind the app-key Lambda authorizer and the admin routes behind IAM', () => {
    const [authId, auth] =
      ofType('AWS::ApiGatewayV2::Authorizer').find(([, r]) => r.Properties.Name === 'appKey') ?? [];
    expect(auth?.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      IdentitySource: ['$request.header.x-api-key'],
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
    });
    expect(JSON.stringify(auth?.Properties.AuthorizerUri)).toContain('AuthorizeDashappLambdaFunction');
    const byKey = new Map(
      ofType('AWS::ApiGatewayV2::Route').map(([, r]) => [r.Properties.RouteKey, r.Properties]),
    );
    for (const key of ['GET /users/{userId}/recommendations', 'POST /events']) {
      expect(byKey.get(key)?.AuthorizationType, key).toBe('CUSTOM');
      expect(byKey.get(key)?.AuthorizerId, key).toEqual({ Ref: authId });
    }
    for (const key of [
      'GET /admin/users/{userId}/recommendations',
      'GET /admin/sessions/{sessionId}/recommendations',
      'GET /reports/ab',
      'GET /ng-items',
      'PUT /ng-items/{itemId}',
      'DELETE /ng-items/{itemId}',
    ])
      expect(byKey.get(key)?.AuthorizationType, key).toBe('AWS_IAM');
    // only the liveness probe is public
    const open = [...byKey].filter(([, r]) => r.AuthorizationType === undefined).map(([k]) => k);
    expect(open).toEqual(['GET /health']);
    const fn = ofType('AWS::Lambda::Function').find(
      ([, r]) => r.Properties.FunctionName === 'osusume-ci-authorize-app',
    )?.[1];
    expect(
      (fn?.Properties.Environment as { Variables: Record<string, string> } | undefined)?.Variables
        .APP_KEYS_SSM_PATH,
    ).toBe('/osusume/ci/app-keys/');
    // its role reads that path and nothing else
    const roleId = (fn!.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const ssm = policyStatements(resources[roleId]).filter((st) =>
      ([] as string[]).concat(st.Action).some((a) => a.startsWith('ssm:')),
    );
    expect(ssm).toHaveLength(1);
    expect(JSON.stringify(ssm[0].Resource)).toMatch(/:parameter\/osusume\/ci\/app-keys"/);
  });

  it('throttles every route on the stage, the app and admin routes each with their own limits', () => {
    const [, stage] = ofType('AWS::ApiGatewayV2::Stage')[0];
    const props = stage.Properties as {
      DefaultRouteSettings: { ThrottlingRateLimit: number; ThrottlingBurstLimit: number };
      RouteSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
    };
    expect(props.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    const routeKeys = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey as string);
    for (const key of routeKeys.filter((k) => k !== 'GET /health')) {
      const s = props.RouteSettings[key];
      expect(s?.ThrottlingRateLimit, key).toBeGreaterThan(0);
      expect(s?.ThrottlingBurstLimit, key).toBeGreaterThanOrEqual(s.ThrottlingRateLimit);
    }
    expect(props.RouteSettings['POST /events'].ThrottlingRateLimit).toBe(200);
  });

  it('allows CORS only from the configured origins, never *', () => {
    const [, api] = ofType('AWS::ApiGatewayV2::Api')[0];
    const cors = api.Properties.CorsConfiguration as { AllowOrigins: string[]; AllowHeaders: string[] };
    expect(cors.AllowOrigins).toEqual(['http://localhost:3000']);
    expect(cors.AllowHeaders).toContain('x-api-key');
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

  it('grants every function exactly the AWS actions its code can send, on the tables and bucket it uses', () => {
    const fns = readServerlessYml(ROOT).functions ?? {};
    const entries = new Map(
      Object.entries(fns).map(([name, f]) => [name, `${splitHandler(f.handler).module}.ts`]),
    );
    const reached = reachableCommands(ROOT, [...entries.values()]);
    const tableEnv = adapterTables(ROOT, ['shared/composition.ts', 'shared/pipeline/pipeline-container.ts']);
    const DATA = /^(dynamodb|s3|personalize|states|ssm|secretsmanager|firehose):/;
    const problems: string[] = [];
    for (const [name, entry] of entries) {
      const fn = ofType('AWS::Lambda::Function').find(
        ([, r]) => r.Properties.FunctionName === `osusume-ci-${name}`,
      )?.[1];
      expect(fn, name).toBeDefined();
      const env = ((fn!.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables ??
        {}) as Record<string, { Ref?: string }>;
      // what the code needs: "action resource", the resource being the table's or bucket's logical id
      const needed = new Set<string>();
      for (const c of reached.get(entry) ?? []) {
        for (const action of actionsOf(c)) {
          if (action.startsWith('dynamodb:')) {
            const vars = c.adapter ? tableEnv.get(c.adapter) : undefined;
            if (!vars)
              problems.push(`${name}: ${c.command} from ${c.adapter ?? 'outside an adapter'} has no table`);
            for (const v of vars ?? []) needed.add(`${action} ${env[v]?.Ref ?? `<${v} unset>`}`);
          } else if (action.startsWith('s3:')) needed.add(`${action} ArtifactBucket`);
          else needed.add(`${action} *`);
        }
      }
      // what the role allows, in the same terms
      const roleId = ((fn!.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'] ?? [])[0];
      const allowed = new Set<string>();
      for (const st of policyStatements(resources[roleId])) {
        if (st.Effect !== 'Allow') continue;
        for (const action of ([] as string[]).concat(st.Action).filter((a) => DATA.test(a))) {
          for (const res of ([] as unknown[]).concat(st.Resource)) {
            const text = JSON.stringify(res);
            if (action.startsWith('dynamodb:')) {
              const table = /"Fn::GetAtt":\["(\w+Table)"/.exec(text)?.[1] ?? text;
              allowed.add(`${action} ${table}`);
            } else if (action.startsWith('s3:'))
              allowed.add(`${action} ${text.includes('ArtifactBucket') ? 'ArtifactBucket' : text}`);
            else allowed.add(`${action} *`);
          }
        }
      }
      for (const n of needed) if (!allowed.has(n)) problems.push(`${name}: needs ${n}, its role lacks it`);
      for (const a of allowed)
        if (!needed.has(a)) problems.push(`${name}: its role allows ${a}, its code never sends it`);
    }
    expect(problems).toEqual([]);
  }, 120_000);

  // ---- pipelines (issue 4): state machines, schedules, roles ----
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

  it('lets only the request functions read the campaign parameter and only the retraining machine write it', () => {
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
    // the user route and the re-ranking, whose arms reach the user-list sources (the item surfaces read
    // item lists only: a user source, which takes a request context, is no item source)
    expect(reads.map((g) => g.role).sort()).toEqual(
      ['GetDashrecommendations', 'PostDashuserDashranking']
        .sort()
        .map((prefix) => expect.stringMatching(new RegExp(`^${prefix}IamRole`))),
    );
    for (const read of reads)
      expect(read.resources).toContain('parameter/osusume/ci/personalize/campaign-arn');
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
    // derived from the ASL: every `arn:aws:states:::aws-sdk:personalize:<action>` Task the machine runs
    const asl = readFileSync(join(ROOT, 'statemachines/personalize-retraining.asl.json'), 'utf8');
    const called = [...asl.matchAll(/"arn:aws:states:::aws-sdk:personalize:(\w+)"/g)].map(
      (m) => `personalize:${m[1][0].toUpperCase()}${m[1].slice(1)}`,
    );
    expect(called.length).toBeGreaterThan(0);
    expect(new Set(actions)).toEqual(new Set(called));
    const passRole = statements.find((s) => ([] as string[]).concat(s.Action).includes('iam:PassRole'));
    expect(JSON.stringify(passRole?.Resource)).toContain('role/osusume-ci-personalize');
  });

  it('delivers accepted events, users and items to S3 day partitions through streams only their POST function writes to', () => {
    const streams = new Map(ofType('AWS::KinesisFirehose::DeliveryStream'));
    const expected = [
      ['EventExportStream', 'events', /^PostDasheventsIamRoleLambdaExecution/],
      ['UsersExportStream', 'users', /^PutDashusersIamRoleLambdaExecution/],
      ['ItemsExportStream', 'items', /^PutDashitemsIamRoleLambdaExecution/],
    ] as const;
    expect([...streams.keys()].sort()).toEqual(expected.map(([k]) => k).sort());
    for (const [key, prefix, writer] of expected) {
      const dest = (streams.get(key) as Resource).Properties.ExtendedS3DestinationConfiguration as Record<
        string,
        unknown
      >;
      expect(dest.Prefix).toBe(`${prefix}/dt=!{timestamp:yyyy-MM-dd}/`);
      const writers = ofType('AWS::IAM::Role').filter(([, role]) =>
        policyStatements(role as Resource).some(
          (st) =>
            ([] as string[]).concat(st.Action).includes('firehose:PutRecordBatch') &&
            JSON.stringify(st.Resource).includes(key),
        ),
      );
      expect(writers.map(([k]) => k)).toEqual([expect.stringMatching(writer)]);
    }
  });
});
