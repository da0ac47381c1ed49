import { SSMClient } from '@aws-sdk/client-ssm';
import { StaticAppKeyStore } from './adapters/memory/app-key-store.js';
import { SsmAppKeyStore } from './adapters/ssm/app-key-store.js';
import { type Config, ConfigError, config, parseAppKeys } from './config/config.js';
import { AppKeyAuthorizer } from './use-cases/app-auth.js';

let authorizer: AppKeyAuthorizer | undefined;

/**
 * The app-key authorizer from configuration: SSM Parameter Store (APP_KEYS_SSM_PATH) on AWS, the
 * `OSUSUME_APP_KEYS` list locally. Kept out of shared/composition.ts so that no other bundle imports
 * the SSM client.
 */
export function buildAppKeyAuthorizer(cfg: Config): AppKeyAuthorizer {
  const ttlMs = cfg.APP_KEYS_CACHE_SECONDS * 1000;
  if (cfg.APP_KEYS_SSM_PATH)
    return new AppKeyAuthorizer(
      new SsmAppKeyStore(new SSMClient({ region: cfg.AWS_REGION }), cfg.APP_KEYS_SSM_PATH),
      ttlMs,
    );
  if (cfg.OSUSUME_APP_KEYS)
    return new AppKeyAuthorizer(new StaticAppKeyStore(parseAppKeys(cfg.OSUSUME_APP_KEYS)), ttlMs);
  throw new ConfigError(
    'invalid configuration: APP_KEYS_SSM_PATH (AWS) or OSUSUME_APP_KEYS (local) is required',
  );
}

/** The process-wide authorizer (keys cached across invocations). */
export function getAppKeyAuthorizer(): AppKeyAuthorizer {
  authorizer ??= buildAppKeyAuthorizer(config());
  return authorizer;
}
