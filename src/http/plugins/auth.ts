import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import type { RequestOrigin } from '../../domain/audit/audit.js';
import { findApiTokenActor } from '../../domain/users/api-tokens.service.js';
import { findSession } from '../../domain/users/sessions.service.js';
import type { SessionInfo } from '../../domain/users/users.js';
import { DomainError } from '../../errors.js';
import { type Actor, anonymous } from '../../policies/actor.js';
import { isApiRequest } from './api-path.js';

export const SESSION_COOKIE = 'embargo_session';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
    session: SessionInfo | undefined;
    origin: RequestOrigin;
  }
}

/** Secure cookies except over plain HTTP to a non-loopback host, where browsers would drop them. */
export function cookieSecure(publicUrl: URL): boolean {
  return publicUrl.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(publicUrl.hostname);
}

/** Requires a signed-in team member; the anonymous get AUTH_REQUIRED (pages redirect to login). */
export function requireUser(request: FastifyRequest): Extract<Actor, { kind: 'user' }> {
  if (request.actor.kind !== 'user') throw new DomainError('AUTH_REQUIRED');
  return request.actor;
}

// `Bearer` is case-insensitive (RFC 9110 auth-scheme); the token is one run of non-space characters.
const BEARER = /^Bearer +(\S+) *$/i;

/**
 * The actor of an API request: anonymous without an Authorization header; otherwise its bearer
 * token must be live, or the request is refused (never quietly served as anonymous, which would
 * hide a revoked or mistyped token behind a confusing 404).
 */
async function apiActor(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<Actor> {
  const header = request.headers.authorization;
  if (header === undefined) return anonymous;
  const token = BEARER.exec(header)?.[1];
  const actor = token ? await findApiTokenActor(deps.db, deps.clock, token) : undefined;
  if (!actor) {
    // RFC 6750: a 401 names the scheme it wants.
    reply.header('www-authenticate', 'Bearer error="invalid_token"');
    throw new DomainError('API_TOKEN_INVALID');
  }
  return actor;
}

/**
 * Resolves the session cookie into `request.actor`, and under /api/ a personal API token
 * (`Authorization: Bearer emb_...`) instead. The JSON API never honours the cookie, so a browser's
 * ambient credentials cannot be used against it from another site.
 */
export function authPlugin(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.decorateRequest<Actor | null>('actor', null);
    app.decorateRequest('session', undefined);
    app.decorateRequest<RequestOrigin | null>('origin', null);
    app.addHook('onRequest', async (request, reply) => {
      request.origin = { ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null };
      request.actor = anonymous;
      request.session = undefined;
      if (isApiRequest(request)) {
        request.actor = await apiActor(deps, request, reply);
        return;
      }
      if (request.url.startsWith('/assets/')) return;
      const token = request.cookies[SESSION_COOKIE];
      if (!token) return;
      const session = await findSession(deps.db, deps.clock, token);
      if (!session) return;
      request.session = session;
      request.actor = {
        kind: 'user',
        userId: session.user.id,
        email: session.user.email,
        name: session.user.name,
        isInstanceAdmin: session.user.isInstanceAdmin,
        roles: session.roles,
        caseGrants: session.caseGrants,
        distributorOf: session.distributorOf,
      };
    });
  };
}
