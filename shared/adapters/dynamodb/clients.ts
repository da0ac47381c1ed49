import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** A low-level client (table admin) and the document client the adapters use; build once per process. */
export interface DynamoClients {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
}

/**
 * Builds the DynamoDB clients. With an `endpoint` (dynalite, DynamoDB Local) dummy credentials are
 * used so no AWS profile is needed; without one the default credential chain and region apply.
 * `removeUndefinedValues` lets adapters pass optional fields (e.g. an NG item's reason) as-is.
 */
export function makeDynamoClients(endpoint?: string, region?: string): DynamoClients {
  const client = new DynamoDBClient(
    endpoint
      ? {
          endpoint,
          region: region ?? process.env.AWS_REGION ?? 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : region
        ? { region }
        : {},
  );
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
  return { client, doc };
}
