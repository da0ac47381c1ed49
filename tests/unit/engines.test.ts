import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/start-process.js';

const read = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));

describe('supported Node versions', () => {
  const engines: string = read('package.json').engines.node;

  it('package.json engines allows only Node versions every installed dependency supports', () => {
    const lock = read('package-lock.json') as {
      packages: Record<string, { engines?: { node?: string } | string[] }>;
    };
    const unsupported: string[] = [];
    for (const [path, pkg] of Object.entries(lock.packages)) {
      const node = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
      if (path === '' || node === undefined) continue;
      if (!semver.subset(engines, node))
        unsupported.push(`${path.replace(/^.*node_modules\//, '')} wants ${node}`);
    }
    expect(unsupported).toEqual([]);
  });

  it('includes the Lambda runtime serverless.yml deploys to', () => {
    const runtime = /runtime:\s*nodejs(\d+)\.x/.exec(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'));
    expect(runtime).not.toBeNull();
    expect(semver.intersects(engines, `${runtime?.[1]}.x`)).toBe(true);
  });
});
