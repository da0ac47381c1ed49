import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** What the verifying server saw of one request. */
export interface SeenRequest {
  readonly path: string;
  readonly query: string;
  readonly verified: boolean;
  readonly reason?: string;
}

/**
 * A real HTTP server that checks AWS Signature V4 as API Gateway's IAM auth does, with the SDK's own
 * signer: it re-signs the request from what arrived (method, path, query, the signed headers, the
 * x-amz-date) with the caller's secret and compares the Authorization header. Verified requests get
 * `body`, others 403 `{"message"}` as API Gateway answers.
 */
export async function startSigV4Server(options: {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  body: unknown;
}): Promise<{ url: string; seen: SeenRequest[]; close: () => Promise<void> }> {
  const seen: SeenRequest[] = [];
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });

  async function verify(req: IncomingMessage, url: URL): Promise<string | undefined> {
    const auth = req.headers.authorization ?? '';
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/execute-api\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
        auth,
      );
    if (!m) return 'no SigV4 Authorization header';
    const [, keyId, , region, signedHeaders] = m;
    if (keyId !== options.credentials.accessKeyId) return 'unknown access key';
    if (region !== options.region) return `signed for region ${region}`;
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (!d) return 'no x-amz-date';
    const signingDate = new Date(Date.UTC(+d[1], +d[2] - 1, +d[3], +d[4], +d[5], +d[6]));
    if (Math.abs(Date.now() - signingDate.getTime()) > 5 * 60_000) return 'signature expired';
    const headers: Record<string, string> = {};
    for (const h of signedHeaders.split(';')) headers[h] = String(req.headers[h] ?? '');
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const prev = Object.hasOwn(query, k) ? query[k] : undefined;
      query[k] = prev === undefined ? v : ([] as string[]).concat(prev, v);
    }
    const expected = await signer.sign(
      {
        method: req.method ?? 'GET',
        protocol: 'http:',
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query,
        headers,
      },
      { signingDate },
    );
    return expected.headers.authorization === auth ? undefined : 'signature mismatch';
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    verify(req, url).then((reason) => {
      seen.push({ path: url.pathname, query: url.search.slice(1), verified: !reason, reason });
      res.writeHead(reason ? 403 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reason ? { message: reason } : options.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
