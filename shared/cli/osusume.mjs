#!/usr/bin/env node
// The CLI runs as JavaScript built into dist/ by `npm ci` (package.json "prepare": shared/build/build-cli.mjs),
// so it starts in ~0.1 s. When the TypeScript sources are newer than that build (an edit since, or no build
// yet), it runs them through tsx instead: slower to start, never stale.
import { isBuildFresh } from '../build/build-cli.mjs';

if (isBuildFresh()) {
  await import('../../dist/shared/cli/main.js');
} else {
  if (process.stderr.isTTY)
    console.error('osusume: sources changed since the last build; running them through tsx (npm run build)');
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
