import { config as readConfig } from '../../shared/config/config.js';
import { buildConsoleAssets } from '../../shared/composition.js';
import { requireAdmin } from '../../shared/http/admin-auth.js';
import { type HttpEvent, type HttpResult, httpHandler } from '../../shared/http/http-handler.js';
import { consoleAsset } from '../../shared/use-cases/console.js';

const config = readConfig();
const assets = buildConsoleAssets();

// the page talks only to this API; nothing inline but styles, no framing
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

/**
 * GET /console and /console/{file}: the console's built files. On AWS the routes have IAM auth like every admin
 * route; locally the page (which holds no data) loads without the token, and each data call it makes sends it.
 */
export const handler = httpHandler(async (event: HttpEvent): Promise<HttpResult> => {
  if (config.ADMIN_AUTH === 'iam') requireAdmin(event, 'iam', undefined);
  const asset = await consoleAsset(assets, event.pathParameters?.file);
  const gzip = /\bgzip\b/.test(event.headers?.['accept-encoding'] ?? '');
  return {
    statusCode: 200,
    headers: {
      'content-type': asset.contentType,
      'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      vary: 'accept-encoding',
    },
    body: (gzip ? asset.gzip : asset.body).toString('base64'),
    isBase64Encoded: true,
  };
});
