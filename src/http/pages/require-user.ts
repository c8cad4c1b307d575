import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../errors.js';
import { wantsJson } from '../plugins/errors.js';

/**
 * A same-site path to return to after signing in, or undefined when `next` could lead elsewhere:
 * `//host`, `/\host` and paths hiding control characters (which browsers strip) are all refused.
 */
export function safeNext(next: unknown): string | undefined {
  if (typeof next !== 'string' || next.length > 2000) return undefined;
  // Control characters are what is refused.
  if (!next.startsWith('/') || /^\/[/\\]/.test(next) || /[\\\u0000-\u001f\u007f]/.test(next)) return undefined;
  const base = 'http://embargo.invalid';
  return new URL(next, base).origin === base ? next : undefined;
}

export function loginUrl(next: string | undefined): string {
  return next && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login';
}

/**
 * preHandler for pages that need a signed-in user. Browsers are sent to the sign-in page (and
 * brought back after, for a GET); JSON clients get AUTH_REQUIRED. Handlers still authorize.
 */
export async function requireSignIn(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.actor.kind === 'user') return;
  if (wantsJson(request)) throw new DomainError('AUTH_REQUIRED');
  await reply.redirect(loginUrl(request.method === 'GET' ? safeNext(request.url) : undefined), 303);
}
