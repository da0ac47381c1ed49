import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';

/** GET /health: liveness of the API (no dependency calls, so it stays cheap for load balancers). */
export const handler = httpHandler(async (_event: HttpEvent) =>
  json(200, { status: 'ok', service: 'osusume', stage: process.env.OSUSUME_STAGE ?? 'local' }),
);
