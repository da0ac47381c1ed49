import type { SSMClient } from '@aws-sdk/client-ssm';
import { DependencyError } from '../../domain/errors.js';
import type { ParameterReader } from '../../ports/parameters.js';

/** Deadline of one SSM attempt; the request budget gives up sooner and the read refreshes the cache later. */
const TIMEOUT_MS = 1000;

/**
 * SSM Parameter Store, read only (the request function may only GetParameter; the retraining machine
 * writes through its ssm:putParameter integration). The SSM SDK is imported on the first call only, so
 * a request function that never reads a parameter pays no init time for it.
 */
export class SsmParameterReader implements ParameterReader {
  private client: Promise<{ client: SSMClient; sdk: typeof import('@aws-sdk/client-ssm') }> | undefined;

  constructor(private readonly region: string) {}

  private sdk() {
    this.client ??= import('@aws-sdk/client-ssm').then((sdk) => ({
      sdk,
      client: new sdk.SSMClient({
        region: this.region,
        maxAttempts: 2,
        requestHandler: {
          connectionTimeout: TIMEOUT_MS,
          requestTimeout: TIMEOUT_MS,
          throwOnRequestTimeout: true,
        },
      }),
    }));
    return this.client;
  }

  async get(name: string): Promise<string | undefined> {
    const { client, sdk } = await this.sdk();
    try {
      const out = await client.send(new sdk.GetParameterCommand({ Name: name }));
      return out.Parameter?.Value;
    } catch (err) {
      if ((err as Error).name === 'ParameterNotFound') return undefined;
      throw new DependencyError('ssm', `GetParameter ${name}: ${(err as Error).message}`);
    }
  }
}
