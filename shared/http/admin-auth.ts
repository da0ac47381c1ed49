import { timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../domain/errors.js';
import type { HttpEvent } from './http-handler.js';

/** True when the request carries `Authorization: Bearer <OSUSUME_ADMIN_TOKEN>` (constant-time compare). */
export function hasAdminToken(event: HttpEvent, token: string | undefined): boolean {
  if (!token) return false;
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Guards an admin route. With `iam`, API Gateway has already authorised the caller (IAM auth declared
 * in serverless.yml); with `token`, the bearer token must match. Throws UnauthorizedError (401).
 */
export function requireAdmin(event: HttpEvent, mode: 'iam' | 'token', token: string | undefined): void {
  if (mode === 'iam') return;
  if (!hasAdminToken(event, token)) throw new UnauthorizedError();
}
