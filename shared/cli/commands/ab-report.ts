import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { executeApiRegion, sigv4Get } from '../../adapters/http/sigv4-fetch.js';
import { ValidationError } from '../../domain/errors.js';
import type { AbReport } from '../../domain/measurement/ab-report.js';
import { fetchApi } from '../http.js';

interface AbReportOptions {
  api?: string;
  token?: string;
  auth: string;
  region?: string;
  dbEndpoint?: string;
  aws?: boolean;
  table: string;
  since?: string;
  until?: string;
  slot?: string;
  control?: string;
  windowHours: string;
  format: string;
  chart?: string;
  basis: string;
}

/** How the admin route is called: Bearer token (osusume start) or SigV4 (IAM auth of a deployed stack). */
export type ApiAuth = { kind: 'bearer'; token: string | undefined } | { kind: 'sigv4'; region: string };

/**
 * `--auth auto` signs with SigV4 when the URL is an API Gateway endpoint (the region is read from it)
 * and sends the Bearer token otherwise; `--auth sigv4` signs any URL (a custom domain: give --region).
 */
export function chooseAuth(
  api: string,
  opts: { auth: string; token?: string; region?: string },
  env: Record<string, string | undefined> = process.env,
): ApiAuth {
  const token = opts.token ?? env.OSUSUME_ADMIN_TOKEN;
  if (!URL.canParse(api) || !/^https?:$/.test(new URL(api).protocol))
    throw new ValidationError(`--api must be an http(s) URL, got '${api}'`, 'api');
  const hostRegion = executeApiRegion(api);
  const kind = opts.auth === 'auto' ? (hostRegion ? 'sigv4' : 'bearer') : opts.auth;
  if (kind === 'bearer') return { kind, token };
  if (kind !== 'sigv4')
    throw new ValidationError(`--auth must be auto, bearer or sigv4, got '${opts.auth}'`, 'auth');
  const region = opts.region ?? hostRegion ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new ValidationError('--auth sigv4 needs --region (or AWS_REGION)', 'region');
  return { kind, region };
}

/** The report from a running API's admin route GET /reports/ab. */
async function fromApi(api: string, auth: ApiAuth, opts: AbReportOptions): Promise<AbReport> {
  const q = new URLSearchParams();
  for (const k of ['since', 'until', 'slot', 'control'] as const) if (opts[k]) q.set(k, opts[k] as string);
  const url = `${api.replace(/\/+$/, '')}/reports/ab${q.size > 0 ? `?${q}` : ''}`;
  const res =
    auth.kind === 'sigv4'
      ? await sigv4Get(url, { region: auth.region })
      : await fetchApi(url, { headers: auth.token ? { authorization: `Bearer ${auth.token}` } : {} });
  const text = await res.text();
  if (res.status === 401 && auth.kind === 'bearer')
    throw new ValidationError(
      `${url} answered 401: pass --token (osusume start prints the admin token)`,
      'token',
    );
  if (res.status === 403 && auth.kind === 'sigv4')
    throw new ValidationError(
      `${url} answered 403: the AWS credentials (region ${auth.region}) may not call this API (execute-api:Invoke): ${text}`,
      'auth',
    );
  if (!res.ok) throw new ValidationError(`${url} answered ${res.status}: ${text}`, 'api');
  return JSON.parse(text) as AbReport;
}

/** The report computed here from a DynamoDB events table (e.g. the embedded one of `osusume start`). */
async function fromTable(endpoint: string | undefined, opts: AbReportOptions): Promise<AbReport> {
  const { makeDynamoClients } = await import('../../adapters/dynamodb/clients.js');
  const { DynamoEventStore } = await import('../../adapters/dynamodb/event-store.js');
  const { abReport } = await import('../../use-cases/events.js');
  const { parseExperimentConfig } = await import('../../domain/experiments/experiments.js');
  const { client, doc } = makeDynamoClients(endpoint, process.env.AWS_REGION ?? 'ap-northeast-1');
  try {
    const hours = Number(opts.windowHours);
    if (!(hours >= 0)) throw new ValidationError('--window-hours must be a number >= 0', 'window-hours');
    return await abReport(
      {
        events: new DynamoEventStore(doc, { tableName: opts.table, ttlDays: 90 }),
        experiments: parseExperimentConfig(process.env.EXPERIMENTS),
        windowMs: hours * 3_600_000,
      },
      { since: opts.since, until: opts.until, slot: opts.slot, control: opts.control },
    );
  } finally {
    client.destroy();
  }
}

/** `osusume ab-report`: per-arm view/favorite/cart/purchase rates with intervals and tests against the control. */
export function register(program: Command): void {
  program
    .command('ab-report')
    .description(
      'per-arm view, favorite, add-to-cart and purchase rates with 95% intervals and tests vs the control',
    )
    .option('--api <url>', 'fetch from a running API (GET /reports/ab, admin token)')
    .option('--token <token>', 'admin token for --api (default $OSUSUME_ADMIN_TOKEN)')
    .option(
      '--auth <mode>',
      'auto (SigV4 for an execute-api URL, else the Bearer token) | bearer | sigv4 (AWS credentials)',
      'auto',
    )
    .option('--region <region>', 'region to sign for with --auth sigv4 (default: from the URL, $AWS_REGION)')
    .option(
      '--db-endpoint <url>',
      'read the events table directly (e.g. the embedded DynamoDB osusume start prints)',
    )
    .option('--aws', 'read the deployed events table (--table) with your AWS credentials')
    .option('--table <name>', 'events table for --db-endpoint or --aws', 'osusume-local-events')
    .option('--since <when>', 'ISO date(-time) or a duration back from now: 24h, 7d', '7d')
    .option('--until <when>', 'ISO date(-time) (default now)')
    .option('--slot <name>', 'only this slot')
    .option('--control <arm>', "control arm (default the slot's first configured arm)")
    .option(
      '--window-hours <h>',
      'attribution window without --api (the API uses ATTRIBUTION_WINDOW_HOURS)',
      '24',
    )
    .option('--format <format>', 'table | json | markdown', 'table')
    .option('--chart <file.svg>', 'write an SVG chart of the rates per arm with their intervals')
    .option('--basis <basis>', 'chart rates per impression or per user: impression | user', 'impression')
    .action(async (opts: AbReportOptions) => {
      if (!['table', 'json', 'markdown'].includes(opts.format))
        throw new ValidationError(`--format must be table, json or markdown, got '${opts.format}'`, 'format');
      if (!['impression', 'user'].includes(opts.basis))
        throw new ValidationError(`--basis must be impression or user, got '${opts.basis}'`, 'basis');
      const endpoint = opts.dbEndpoint ?? process.env.DYNAMODB_ENDPOINT;
      // Without a source the SDK would silently go to AWS with whatever credentials are around: say so instead.
      if (!opts.api && !endpoint && !opts.aws)
        throw new ValidationError(
          'ab-report needs a source: --api URL (a running API, with --token), --db-endpoint URL (a DynamoDB ' +
            'endpoint, e.g. the embedded one osusume start prints) or --aws (the deployed table, --table NAME)',
          'api',
        );
      const report = opts.api
        ? await fromApi(opts.api, chooseAuth(opts.api, opts), opts)
        : await fromTable(endpoint, opts);
      // imported here, not at registration, so `osusume --help` stays fast
      const { formatAbReportMarkdown, formatAbReportTable } = await import(
        '../../domain/measurement/ab-report.js'
      );
      const { renderAbReportSvg } = await import('../../adapters/charts/echarts-svg.js');
      if (opts.format === 'json') console.log(JSON.stringify(report, null, 2));
      else if (opts.format === 'markdown') process.stdout.write(formatAbReportMarkdown(report));
      else process.stdout.write(formatAbReportTable(report));
      if (opts.chart) {
        const file = resolve(opts.chart);
        await writeFile(file, renderAbReportSvg(report, opts.basis === 'user' ? 'perUser' : 'perImpression'));
        console.error(`chart written to ${file}`);
      }
    });
}
