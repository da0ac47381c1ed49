import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HttpHandlerOptions, HttpRequest, HttpResponse, RequestHandler } from '@smithy/types';

/**
 * The document client the adapters use, with `fast`: a low-level client on the same connections whose
 * middleware stack is resolved once per command type (`cacheMiddleware`, which the document client refuses)
 * rather than on every call. The request path's hottest calls (the event writes and the session timeline
 * read) go through it: the SDK's per-call overhead was half of the local server's main-thread CPU per
 * session step (bench/results/session-http.md), and the same saving is Lambda CPU on AWS.
 */
export type DocClient = DynamoDBDocumentClient & { readonly fast: DynamoDBClient };

/** A low-level client (table admin) and the document client the adapters use; build once per process. */
export interface DynamoClients {
  readonly client: DynamoDBClient;
  readonly doc: DocClient;
}

/** Deadlines of every DynamoDB call: each attempt gets `timeoutMs`, a call at most `maxAttempts`. */
export interface DynamoTimeouts {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

/** The defaults of DYNAMODB_TIMEOUT_MS and DYNAMODB_MAX_ATTEMPTS. */
export const DEFAULT_DYNAMO_TIMEOUTS: DynamoTimeouts = { timeoutMs: 1000, maxAttempts: 3 };

const LOCAL_CREDENTIALS: { accessKeyId: string; secretAccessKey: string; expiration?: Date } = {
  accessKeyId: 'local',
  secretAccessKey: 'local',
};

/** A fixed, well-formed SigV4 Authorization header: what a local endpoint checks, at no hashing cost. */
const LOCAL_AUTH_SCHEME: NonNullable<DynamoDBClientConfig['httpAuthSchemes']>[number] = {
  schemeId: 'aws.auth#sigv4',
  identityProvider: () => async () => LOCAL_CREDENTIALS,
  signer: {
    sign: async (request) => {
      request.headers['x-amz-date'] = '20000101T000000Z';
      request.headers.authorization =
        'AWS4-HMAC-SHA256 Credential=local/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0';
      return request;
    },
  },
};

/** The SDK's middleware that sets User-Agent and x-amz-user-agent on every request. */
export const USER_AGENT_MIDDLEWARE = 'getUserAgentMiddleware';

/**
 * Builds the DynamoDB clients. With an `endpoint` (dynalite, DynamoDB Local) dummy credentials are
 * used so no AWS profile is needed and no User-Agent is built; without one the default credential chain and region apply.
 * `removeUndefinedValues` lets adapters pass optional fields (e.g. an NG item's reason) as-is.
 * Every attempt has a connect and a request deadline, so a table that accepts connections but never
 * answers fails the call (TimeoutError, retried up to `maxAttempts`) instead of hanging it.
 */
export function makeDynamoClients(
  endpoint?: string,
  region?: string,
  timeouts: DynamoTimeouts = DEFAULT_DYNAMO_TIMEOUTS,
  /** Replaces the node:http handler (the embedded DynamoDB's port transport, picked by composition). */
  requestHandler?: RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions>,
): DynamoClients {
  const input: DynamoDBClientConfig = {
    ...(endpoint
      ? {
          endpoint,
          region: region ?? process.env.AWS_REGION ?? 'us-east-1',
          credentials: LOCAL_CREDENTIALS,
          // dynalite and DynamoDB Local only check that a well-formed signature is present; SigV4's
          // hashing and HMACs were a tenth of the local server's CPU per call (bench/results/session-serving.md)
          httpAuthSchemes: [LOCAL_AUTH_SCHEME],
        }
      : region
        ? { region }
        : {}),
    maxAttempts: timeouts.maxAttempts,
    requestHandler: requestHandler ?? {
      connectionTimeout: timeouts.timeoutMs,
      requestTimeout: timeouts.timeoutMs,
      // without it a breached requestTimeout only logs a warning and the request keeps waiting
      throwOnRequestTimeout: true,
    },
  };
  const client = new DynamoDBClient(input);
  // the same request handler instance: one connection pool, and client.destroy() closes both
  const fast = new DynamoDBClient({
    ...input,
    requestHandler: client.config.requestHandler,
    cacheMiddleware: true,
  });
  // a local endpoint reads no User-Agent; building it (escaping every pair, the feature list) was 3-4 % of the
  // local server's main-thread CPU per session step (bench/results/quiet-machine-7.md). AWS clients keep it.
  if (endpoint) for (const c of [client, fast]) c.middlewareStack.remove(USER_AGENT_MIDDLEWARE);
  const doc = Object.assign(
    DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
      unmarshallOptions: { wrapNumbers: false },
    }),
    { fast },
  );
  return { client, doc };
}
