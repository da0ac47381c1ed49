import type { CatalogForwarder } from '../../ports/catalog.js';

/**
 * PutUsers / PutItems through a lazily imported adapter (the SDK loads on the first forward), every
 * attempt with a deadline, so a Personalize that does not answer cannot hold the POST.
 */
export function lazyCatalogForwarder(
  datasets: { readonly users?: string; readonly items?: string },
  region: string,
  options: { readonly timeoutMs: number; readonly maxAttempts: number },
): CatalogForwarder {
  let forwarder: Promise<CatalogForwarder> | undefined;
  return {
    async forward(kind, records) {
      forwarder ??= (async () => {
        const [{ PersonalizeEventsClient }, { PersonalizeCatalogForwarder }] = await Promise.all([
          import('@aws-sdk/client-personalize-events'),
          import('./personalize-catalog.js'),
        ]);
        const client = new PersonalizeEventsClient({
          region,
          maxAttempts: options.maxAttempts,
          requestHandler: {
            connectionTimeout: options.timeoutMs,
            requestTimeout: options.timeoutMs,
            throwOnRequestTimeout: true,
          },
        });
        return new PersonalizeCatalogForwarder(client, datasets);
      })();
      return (await forwarder).forward(kind, records);
    },
  };
}
