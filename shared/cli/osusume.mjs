#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `npm start` needs no build step on a fresh clone.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
