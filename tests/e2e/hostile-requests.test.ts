import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRoutes } from '../../shared/adapters/local/routes.js';
import { writeShop } from '../../shared/domain/data/generator.js';
import { ROOT, type Started, startOsusume } from '../helpers/start-process.js';

const ADMIN_TOKEN = 'hostile-admin-token-0123456789';
const FUZZ_REQUESTS = 2400;
const FUZZ_SEED = 20261201;

interface Req {
  readonly route: string;
  readonly method: string;
  readonly target: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

interface Res {
  readonly status: number;
  readonly body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** One request over real HTTP (node:http sends the target as given, without normalising it). */
/** The app key of the server under test: sent unless a request sets its own (app routes check it first). */
let appKey = '';

function send(base: string, r: Req): Promise<Res> {
  const { hostname, port } = new URL(base);
  const headers = { 'x-api-key': appKey, ...r.headers };
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        hostname,
        port,
        method: r.method,
        path: r.target,
        // explicit framing: for GET, DELETE or OPTIONS node:http would send a body without Content-Length
        headers:
          r.body === undefined
            ? headers
            : { ...headers, 'content-length': String(Buffer.byteLength(r.body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

/** A raw request line, for targets node:http would refuse to send; answers the status code. */
function sendRaw(base: string, target: string): Promise<Res> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    socket.on('data', (d) => {
      text += String(d);
    });
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.on('error', reject);
  });
}

/** Why an error answer is not a JSON `{code, message}` body, or '' when it is. */
function errorBodyProblem(res: Res): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    return `not JSON: ${res.body.slice(0, 80)}`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'not a JSON object';
  const keys = Object.keys(parsed).sort().join(',');
  const { code, message } = parsed as Record<string, unknown>;
  if (keys !== 'code,message' || typeof code !== 'string' || typeof message !== 'string')
    return `not {code, message}: ${res.body.slice(0, 80)}`;
  return '';
}

// ---- generators of hostile input -------------------------------------------------------------------

const INHERITED = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
/** Values that have broken or could break a parser, a lookup or a key. */
const nasty = fc.oneof(
  fc.constantFrom(
    ...INHERITED,
    '',
    ' ',
    '#',
    'a#b',
    '\u0000',
    '\u0085',
    '\ud800',
    'a\udc00b',
    '😀',
    'x'.repeat(257),
    'x'.repeat(3000),
    '-1',
    '0',
    '1e309',
    'NaN',
    'Infinity',
    '1000000000d',
    `${'1'.repeat(400)}d`,
    '9'.repeat(400),
    '1969-12-31',
    '+275760-09-13T00:00:00Z',
    'null',
    '[]',
    '{}',
    '%',
    '%zz',
  ),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.integer().map(String),
);

/** Percent-encodes the UTF-8 of `s` (a lone surrogate becomes U+FFFD's bytes, as any client sends it). */
const enc = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');

/** A path segment: properly encoded, or raw percent sequences that decode to nothing valid. */
const segment = fc.oneof(
  nasty.map(enc),
  fc.constantFrom('%ED%A0%80', '%C0%AF', '%FF', '%', '%zz', '%00', '..', '.', '%2F', 'u000001', 'i00001'),
);

const queryNames = fc.oneof(
  fc.constantFrom(
    'numResults',
    'slot',
    'exclude',
    'arm',
    'GENDER',
    'AGE_GROUP',
    'limit',
    'cursor',
    'since',
    'until',
    'control',
    ...INHERITED,
  ),
  fc.string({ maxLength: 8 }),
);
const query = fc
  .array(fc.tuple(queryNames, fc.oneof(nasty, fc.base64String({ maxLength: 64 }))), { maxLength: 5 })
  .map((pairs) => {
    if (pairs.length === 0) return '';
    return `?${pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}`;
  });

const cursorOfLongId = Buffer.from(JSON.stringify({ itemId: 'x'.repeat(3000) })).toString('base64url');

const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** A POST /events body: a valid batch with one field replaced, or anything else. */
const eventsBody = fc.oneof(
  fc
    .record({
      field: fc.constantFrom(
        'userId',
        'sessionId',
        'eventList',
        'eventId',
        'eventType',
        'itemId',
        'sentAt',
        'recommendationId',
        'properties',
      ),
      value: fc.oneof(nasty, fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('__DEEP__', '__DEEP_STRING__')),
    })
    .map(({ field, value }) => {
      // nested 5,000 levels, spliced into the text below (JSON.stringify itself would overflow the stack)
      const v = value === '__DEEP__' ? '__DEEP_MARK__' : value === '__DEEP_STRING__' ? deep(5000) : value;
      const event: Record<string, unknown> = {
        eventId: 'fuzz-e',
        eventType: 'view',
        itemId: 'i00001',
        sentAt: Math.floor(Date.now() / 1000),
      };
      const batch: Record<string, unknown> = { userId: 'fuzz-u', sessionId: 'fuzz-s', eventList: [event] };
      if (field in batch) batch[field] = v;
      else event[field] = v;
      return JSON.stringify(batch).replace('"__DEEP_MARK__"', deep(5000));
    }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', '{', 'null', deep(5000), `{"eventList":${'['.repeat(20000)}${']'.repeat(20000)}}`),
);

const ngBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  nasty.map((reason) => JSON.stringify({ reason })),
  fc.constantFrom('', '{', deep(5000), JSON.stringify({ reason: 'x'.repeat(5000) })),
);

const auth = fc.oneof(
  fc.constant<Record<string, string>>({ authorization: `Bearer ${ADMIN_TOKEN}` }),
  fc.constant<Record<string, string>>({ authorization: `Bearer ${ADMIN_TOKEN}` }),
  fc.constant<Record<string, string>>({}),
  fc.constantFrom('Bearer', 'Bearer  x', `Basic ${ADMIN_TOKEN}`, `Bearer ${ADMIN_TOKEN}x`).map((a) => ({
    authorization: a,
  })),
);

/** A hostile request to one route (templates from serverless.yml), mostly with the admin token. */
function requestTo(route: { method: string; path: string }): fc.Arbitrary<Req> {
  const key = `${route.method} ${route.path}`;
  const path = fc.tuple(segment).map(([s]) => route.path.replace(/\{[^}]+\}/, s));
  const body =
    route.path === '/events'
      ? eventsBody
      : route.path.startsWith('/ng-items/')
        ? ngBody
        : fc.constant(undefined);
  const q =
    route.path === '/ng-items'
      ? fc.oneof(query, fc.constant(`?cursor=${cursorOfLongId}`), fc.constant('?cursor=%00'))
      : query;
  return fc
    .record({
      path: route.path.includes('{') ? path : fc.constant(route.path),
      q,
      auth,
      body,
      contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', ''),
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant(route.method) },
        fc.constantFrom('PATCH', 'OPTIONS'),
      ),
    })
    .map(({ path: p, q: qs, auth: a, body: b, contentType, method }) => ({
      route: key,
      method,
      target: `${p}${qs}`,
      headers: { ...a, ...(contentType ? { 'content-type': contentType } : {}) },
      body: b,
    }));
}

describe('osusume start under hostile requests (real HTTP)', () => {
  let app: Started;
  const routes = readRoutes(ROOT);

  let shop: string;

  beforeAll(async () => {
    // a small shop: the nightly run before serving stays short, also while other suites train models
    shop = await mkdtemp(join(tmpdir(), 'osusume-hostile-'));
    await writeShop({ users: 300, items: 200, days: 14, seed: 7 }, shop);
    // INFO so that every rejected request is logged, and what the log says about it can be checked
    app = await startOsusume(
      ['--data', shop],
      { OSUSUME_ADMIN_TOKEN: ADMIN_TOKEN, POWERTOOLS_LOG_LEVEL: 'INFO' },
      150_000,
    );
    appKey = app.appKey;
  }, 180_000);

  afterAll(async () => {
    agent.destroy();
    await app?.stop();
    if (shop) await rm(shop, { recursive: true, force: true });
  });

  it.each(['//[', '//a:99999/health', '/health/[x]', 'http://a/health', '*'])(
    'answers 400 with {code, message} to the malformed request target %s',
    async (target) => {
      const res = await sendRaw(app.url, target);
      expect([res.status, errorBodyProblem(res)]).toEqual([400, '']);
    },
  );

  it.each([
    ['GET', '/users/%ED%A0%80/recommendations', 'userId'],
    ['PUT', '/ng-items/%FF', 'itemId'],
    ['DELETE', '/ng-items/a%ED%B0%80', 'itemId'],
  ])(
    'answers %s %s, a path parameter that is not UTF-8, with 400 naming it',
    async (method, target, name) => {
      const res = await send(app.url, {
        route: '',
        method,
        target,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect([res.status, errorBodyProblem(res), JSON.parse(res.body).message]).toEqual([
        400,
        '',
        expect.stringContaining(name),
      ]);
    },
  );

  it('rejects slot=constructor with 400 naming the slot', async () => {
    const res = await send(app.url, {
      route: '',
      method: 'GET',
      target: '/users/u000001/recommendations?slot=constructor',
      headers: {},
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).message).toContain('slot');
  });

  it('rejects events typed constructor and __proto__ and still answers the A/B report', async () => {
    const sentAt = Math.floor(Date.now() / 1000);
    for (const eventType of ['constructor', '__proto__']) {
      const res = await send(app.url, {
        route: '',
        method: 'POST',
        target: '/events',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          userId: 'u000001',
          sessionId: 's',
          eventList: [{ eventId: `bad-${eventType}`, eventType, itemId: 'i00001', sentAt }],
        }),
      });
      expect([res.status, JSON.parse(res.body).message]).toEqual([400, expect.stringContaining('eventType')]);
    }
    const report = await send(app.url, {
      route: '',
      method: 'GET',
      target: '/reports/ab?since=1d',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(report.status).toBe(200);
  });

  it(`answers ${FUZZ_REQUESTS} seeded hostile requests to every route without a 5xx, errors as {code, message}`, async () => {
    expect(routes.length).toBeGreaterThanOrEqual(7);
    const perRoute = Math.ceil(FUZZ_REQUESTS / routes.length);
    const requests = routes.flatMap((r, k) =>
      fc.sample(requestTo(r), { seed: FUZZ_SEED + k, numRuns: perRoute }),
    );
    const failures: string[] = [];
    const statuses = new Map<string, Set<number>>();
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const r = requests[next++];
        let res: Res;
        try {
          res = await send(app.url, r);
        } catch (err) {
          failures.push(
            `${r.method} ${r.target.slice(0, 120)} body=${(r.body ?? '').slice(0, 80)}: ${String(err)}`,
          );
          continue;
        }
        const seen = statuses.get(r.route) ?? new Set();
        seen.add(res.status);
        statuses.set(r.route, seen);
        const problem =
          res.status >= 500 ? `status ${res.status}` : res.status >= 400 ? errorBodyProblem(res) : '';
        if (problem)
          failures.push(
            `${r.method} ${r.target.slice(0, 120)} body=${(r.body ?? '').slice(0, 80)}: ${problem}: ${res.body.slice(0, 160)}`,
          );
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(failures.slice(0, 10)).toEqual([]);
    expect(requests.length).toBeGreaterThanOrEqual(2000);
    // every route was reached and answered something other than a plain 404
    for (const r of routes)
      expect([...(statuses.get(`${r.method} ${r.path}`) ?? [])].some((s) => s !== 404)).toBe(true);
    // a 4xx logs its reason, and Powertools never had to drop a reserved key
    expect(app.output()).not.toContain('reserved key');
    expect(app.output()).toMatch(/"message":"request rejected"[^\n]*"reason":"/);
  }, 120_000);
});
