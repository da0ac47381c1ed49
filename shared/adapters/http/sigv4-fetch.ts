import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

type Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/** The region of an API Gateway default endpoint (`{id}.execute-api.{region}.amazonaws.com`), if it is one. */
export function executeApiRegion(url: string): string | undefined {
  const host = new URL(url).hostname;
  return /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1];
}

/**
 * `fetch` of a GET signed with AWS Signature V4 for API Gateway (`execute-api`), as IAM-authorised routes
 * demand; the signer is the AWS SDK's own (@smithy/signature-v4), with credentials from the SDK's
 * provider chain (environment, shared config/SSO, instance role...) unless given.
 */
export async function sigv4Get(
  url: string,
  options: {
    region: string;
    credentials?: Credentials;
    signingDate?: Date;
  },
): Promise<Response> {
  const u = new URL(url);
  const credentials =
    options.credentials ??
    (await import('@aws-sdk/credential-providers')).fromNodeProviderChain({
      clientConfig: { region: options.region },
    });
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials,
    sha256: Sha256,
  });
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of u.searchParams) {
    const prev = Object.hasOwn(query, k) ? query[k] : undefined;
    query[k] = prev === undefined ? v : ([] as string[]).concat(prev, v);
  }
  const signed = await signer.sign(
    {
      method: 'GET',
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port ? Number(u.port) : undefined,
      path: u.pathname,
      query,
      headers: { host: u.host },
    },
    { signingDate: options.signingDate },
  );
  const headers = { ...signed.headers };
  // fetch sets Host itself (the same value, which was signed)
  delete headers.host;
  return fetch(url, { headers });
}
