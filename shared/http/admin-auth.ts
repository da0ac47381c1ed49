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
 * True when API Gateway authorised the caller with IAM (SigV4): only an `aws_iam` route puts the caller's
 * identity in `requestContext.authorizer.iam`, and a client cannot set the request context itself.
 */
export function hasIamCaller(event: HttpEvent): boolean {
  const iam = (event.requestContext as { authorizer?: { iam?: { userArn?: unknown; accountId?: unknown } } })
    .authorizer?.iam;
  return typeof iam?.userArn === 'string' || typeof iam?.accountId === 'string';
}

/**
 * Whether the caller is an admin: with `iam`, one API Gateway authorised with IAM (an admin route on
 * AWS); with `token`, one sending the bearer token (locally).
 */
export function isAdmin(event: HttpEvent, mode: 'iam' | 'token', token: string | undefined): boolean {
  return mode === 'iam' ? hasIamCaller(event) : hasAdminToken(event, token);
}

/**
 * Guards an admin route. With `iam`, API Gateway has authorised the caller (IAM auth declared in
 * serverless.yml), which the request context must show, so a route deployed without it stays closed;
 * with `token`, the bearer token must match. Throws UnauthorizedError (401).
 */
export function requireAdmin(event: HttpEvent, mode: 'iam' | 'token', token: string | undefined): void {
  if (!isAdmin(event, mode, token)) throw new UnauthorizedError();
}
