import { GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { DependencyError } from '../../domain/errors.js';
import type { AppKeyStore } from '../../ports/app-keys.js';

/**
 * App keys held as SecureString parameters `{path}{appId}` in SSM Parameter Store (one parameter per
 * shop app, so a key is added, rotated or revoked without a deploy). Reads the whole path, paginated.
 */
export class SsmAppKeyStore implements AppKeyStore {
  constructor(
    private readonly ssm: SSMClient,
    private readonly path: string,
  ) {}

  async load(): Promise<ReadonlyMap<string, string>> {
    const keys = new Map<string, string>();
    let NextToken: string | undefined;
    try {
      do {
        const page = await this.ssm.send(
          new GetParametersByPathCommand({
            Path: this.path,
            Recursive: false,
            WithDecryption: true,
            MaxResults: 10,
            NextToken,
          }),
        );
        for (const p of page.Parameters ?? []) {
          if (!p.Name || !p.Value) continue;
          keys.set(p.Name.slice(p.Name.lastIndexOf('/') + 1), p.Value);
        }
        NextToken = page.NextToken;
      } while (NextToken);
    } catch (err) {
      throw new DependencyError('ssm', (err as Error).name ?? 'GetParametersByPath failed');
    }
    return keys;
  }
}
