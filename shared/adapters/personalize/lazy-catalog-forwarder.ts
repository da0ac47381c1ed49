import type { PersonalizeEventsClient } from '@aws-sdk/client-personalize-events';
import type { CatalogRecord } from '../../domain/catalog/catalog.js';

type Forward = (records: readonly CatalogRecord[]) => Promise<void>;
interface ClientOptions {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

/** The Personalize events client, imported on first use, every attempt with a deadline. */
function lazyClient(region: string, options: ClientOptions): () => Promise<PersonalizeEventsClient> {
  let client: Promise<PersonalizeEventsClient> | undefined;
  return () => {
    client ??= import('@aws-sdk/client-personalize-events').then(
      ({ PersonalizeEventsClient }) =>
        new PersonalizeEventsClient({
          region,
          maxAttempts: options.maxAttempts,
          requestHandler: {
            connectionTimeout: options.timeoutMs,
            requestTimeout: options.timeoutMs,
            throwOnRequestTimeout: true,
          },
        }),
    );
    return client;
  };
}

// One function per kind, not one forwarder with a kind switch: each POST function's code (and so its
// IAM role, derived from the code) can send only its own command.

/** PutUsers through a lazily imported SDK, so a Personalize that does not answer cannot hold the POST. */
export function lazyUsersForward(datasetArn: string, region: string, options: ClientOptions): Forward {
  const client = lazyClient(region, options);
  return async (records) => {
    const { putUsersToPersonalize } = await import('./personalize-catalog.js');
    await putUsersToPersonalize(await client(), datasetArn, records);
  };
}

/** PutItems through a lazily imported SDK, so a Personalize that does not answer cannot hold the POST. */
export function lazyItemsForward(datasetArn: string, region: string, options: ClientOptions): Forward {
  const client = lazyClient(region, options);
  return async (records) => {
    const { putItemsToPersonalize } = await import('./personalize-catalog.js');
    await putItemsToPersonalize(await client(), datasetArn, records);
  };
}
