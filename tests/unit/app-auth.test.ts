import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { StaticAppKeyStore } from '../../shared/adapters/memory/app-key-store.js';
import { SsmAppKeyStore } from '../../shared/adapters/ssm/app-key-store.js';
import { parseConfig } from '../../shared/config/config.js';
import { AppKeyAuthorizer } from '../../shared/use-cases/app-auth.js';

const TABLES = {
  TABLE_RECOMMENDATIONS: 't-rec',
  TABLE_STATE: 't-state',
  TABLE_NG_ITEMS: 't-ng',
  TABLE_USERS: 't-users',
  TABLE_EVENTS: 't-events',
};

describe('SsmAppKeyStore (aws-sdk-client-mock)', () => {
  const client = new SSMClient({ region: 'ap-northeast-1', maxAttempts: 1 });
  const mock = mockClient(client);
  beforeEach(() => mock.reset());

  it('reads every SecureString under the path, decrypted, following NextToken; the app id is the last segment', async () => {
    mock
      .on(GetParametersByPathCommand, { NextToken: undefined })
      .resolves({
        Parameters: [{ Name: '/osusume/prod/app-keys/web', Value: 'web-key-0123456789' }],
        NextToken: 'p2',
      })
      .on(GetParametersByPathCommand, { NextToken: 'p2' })
      .resolves({ Parameters: [{ Name: '/osusume/prod/app-keys/ios', Value: 'ios-key-0123456789' }] });
    const keys = await new SsmAppKeyStore(client, '/osusume/prod/app-keys/').load();
    expect([...keys]).toEqual([
      ['web', 'web-key-0123456789'],
      ['ios', 'ios-key-0123456789'],
    ]);
    expect(mock).toHaveReceivedCommandWith(GetParametersByPathCommand, {
      Path: '/osusume/prod/app-keys/',
      WithDecryption: true,
      Recursive: false,
    });
  });

  it('turns an SSM failure into a DependencyError without the SDK message', async () => {
    mock
      .on(GetParametersByPathCommand)
      .rejects(Object.assign(new Error('secret detail'), { name: 'AccessDeniedException' }));
    await expect(new SsmAppKeyStore(client, '/p/').load()).rejects.toMatchObject({
      code: 'DependencyError',
      message: 'ssm: AccessDeniedException',
    });
  });
});

describe('AppKeyAuthorizer', () => {
  const keys = new Map([
    ['web', 'web-key-0123456789'],
    ['ios', 'ios-key-0123456789'],
  ]);

  it('names the app a key belongs to and rejects a missing, empty, wrong or prefix key', async () => {
    const auth = new AppKeyAuthorizer(new StaticAppKeyStore(keys), 60_000);
    expect(await auth.authorize('ios-key-0123456789')).toEqual({ appId: 'ios' });
    for (const bad of [undefined, '', 'ios-key-012345678', 'ios-key-0123456789x', 'IOS-KEY-0123456789'])
      expect(await auth.authorize(bad)).toBeUndefined();
  });

  it('stops accepting a revoked key once the cached keys expire', async () => {
    let now = 0;
    const live = new Map(keys);
    const auth = new AppKeyAuthorizer({ load: async () => new Map(live) }, 300_000, () => now);
    expect(await auth.authorize('web-key-0123456789')).toEqual({ appId: 'web' });
    live.delete('web');
    now = 299_000;
    expect(await auth.authorize('web-key-0123456789')).toEqual({ appId: 'web' });
    now = 301_000;
    expect(await auth.authorize('web-key-0123456789')).toBeUndefined();
  });

  it('keeps the last keys loaded when the store fails, and fails when it never loaded', async () => {
    let now = 0;
    let failing = false;
    const store = {
      load: async () => {
        if (failing) throw new Error('ssm down');
        return keys;
      },
    };
    const auth = new AppKeyAuthorizer(store, 1000, () => now);
    expect(await auth.authorize('web-key-0123456789')).toEqual({ appId: 'web' });
    failing = true;
    now = 5000;
    expect(await auth.authorize('web-key-0123456789')).toEqual({ appId: 'web' });
    await expect(new AppKeyAuthorizer(store, 1000).authorize('web-key-0123456789')).rejects.toThrow(
      'ssm down',
    );
  });
});

describe('app key configuration', () => {
  it('rejects an OSUSUME_APP_KEYS key shorter than 16 characters, naming the variable', () => {
    expect(() => parseConfig({ ...TABLES, OSUSUME_APP_KEYS: 'web=short' })).toThrow(/OSUSUME_APP_KEYS/);
  });

  it('rejects an APP_KEYS_SSM_PATH that is not a /path/ ending in a slash', () => {
    expect(() => parseConfig({ ...TABLES, APP_KEYS_SSM_PATH: '/osusume/prod/app-keys' })).toThrow(
      /APP_KEYS_SSM_PATH/,
    );
  });
});
