import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** A low-level client (table admin) and the document client the adapters use; build once per process. */
export interface DynamoClients {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
}

/** Deadlines of every DynamoDB call: each attempt gets `timeoutMs`, a call at most `maxAttempts`. */
export interface DynamoTimeouts {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

/** The defaults of DYNAMODB_TIMEOUT_MS and DYNAMODB_MAX_ATTEMPTS. */
export const DEFAULT_DYNAMO_TIMEOUTS: DynamoTimeouts = { timeoutMs: 1000, maxAttempts: 3 };

/**
 * Builds the DynamoDB clients. With an `endpoint` (dynalite, DynamoDB Local) dummy credentials are
 * used so no AWS profile is needed; without one the default credential chain and region apply.
 * `removeUndefinedValues` lets adapters pass optional fields (e.g. an NG item's reason) as-is.
 * Every attempt has a connect and a request deadline, so a table that accepts connections but never
 * answers fails the call (TimeoutError, retried up to `maxAttempts`) instead of hanging it.
 */
export function makeDynamoClients(
  endpoint?: string,
  region?: string,
  timeouts: DynamoTimeouts = DEFAULT_DYNAMO_TIMEOUTS,
): DynamoClients {
  const client = new DynamoDBClient({
    ...(endpoint
      ? {
          endpoint,
          region: region ?? process.env.AWS_REGION ?? 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : region
        ? { region }
        : {}),
    maxAttempts: timeouts.maxAttempts,
    requestHandler: {
      connectionTimeout: timeouts.timeoutMs,
      requestTimeout: timeouts.timeoutMs,
      // without it a breached requestTimeout only logs a warning and the request keeps waiting
      throwOnRequestTimeout: true,
    },
  });
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
  return { client, doc };
}
