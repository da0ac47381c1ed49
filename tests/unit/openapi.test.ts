import { describe, expect, it } from 'vitest';
import { readRoutes } from '../../shared/adapters/local/routes.js';
import { openapi, responseErrors } from '../helpers/openapi.js';
import { ROOT } from '../helpers/start-process.js';

describe('OpenAPI document (shared/http/openapi.yaml)', () => {
  const routes = readRoutes(ROOT);

  it('documents every route that serverless.yml deploys', () => {
    for (const r of routes)
      expect(openapi.paths[r.path]?.[r.method.toLowerCase()], `${r.method} ${r.path}`).toBeDefined();
  });

  it('documents no route that is not deployed', () => {
    const deployed = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const [path, ops] of Object.entries(openapi.paths)) {
      for (const method of Object.keys(ops))
        expect(deployed.has(`${method.toUpperCase()} ${path}`)).toBe(true);
    }
  });

  it('rejects an error body that lacks the code field', () => {
    expect(responseErrors('GET', '/users/{userId}/recommendations', 400, { message: 'x' })).not.toBe('');
  });

  it('accepts a well-formed recommendations body', () => {
    const body = {
      recommendationId: 'r',
      userId: 'u',
      arm: 'cf',
      degraded: false,
      itemList: [
        { itemId: 'i', score: 1, source: 'cf', reason: ['customers with a similar history chose it'] },
      ],
    };
    expect(responseErrors('GET', '/users/{userId}/recommendations', 200, body)).toBe('');
  });
});
