import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { safeEqual } from '../../domain/ids.js';
import { DomainError } from '../../errors.js';
import { cookieSecure } from './auth.js';
import { isApiRequest } from './api-path.js';

export const CSRF_COOKIE = 'embargo_csrf';
export const CSRF_FIELD = '_csrf';

declare module 'fastify' {
  interface FastifyRequest {
    /** The token to put in this page's forms (sets the anonymous CSRF cookie when needed). */
    csrfToken(): string;
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * false: the route takes no CSRF token, because its URL carries its own credential and a mail
     * client posts to it with no cookie (RFC 8058 one-click unsubscribe). Never for a session's action.
     */
    csrf?: false;
  }
}

function sign(secret: Buffer, seed: string): string {
  return crypto.createHmac('sha256', secret).update(seed).digest('base64url');
}

/** The form field, whether the body was URL-encoded or multipart. */
function submittedToken(request: FastifyRequest): string | undefined {
  const header = request.headers['x-csrf-token'];
  if (typeof header === 'string') return header;
  const body = request.body as Record<string, unknown> | undefined;
  const field = body?.[CSRF_FIELD];
  if (typeof field === 'string') return field;
  if (field && typeof field === 'object' && 'value' in field && typeof field.value === 'string') return field.value;
  return undefined;
}

/**
 * Synchronizer tokens: an HMAC of the session (signed-in) or of a random per-browser cookie
 * (anonymous, e.g. the report form), checked on every state-changing request outside /api/.
 * The API takes no cookies, so it cannot be driven by another site with the browser's credentials.
 */
export function csrfPlugin(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const secure = cookieSecure(deps.config.publicUrl);
    const seedOf = (request: FastifyRequest): string | undefined =>
      request.session
        ? `session:${request.session.sessionIdHash}`
        : request.cookies[CSRF_COOKIE]
          ? `anon:${request.cookies[CSRF_COOKIE]}`
          : undefined;

    app.decorateRequest('csrfToken', function csrfToken(this: FastifyRequest): string {
      throw new Error(`csrfToken() called before the CSRF hook ran for ${this.url}`);
    });

    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      request.csrfToken = () => {
        let seed = seedOf(request);
        if (!seed) {
          const value = crypto.randomBytes(24).toString('base64url');
          request.cookies[CSRF_COOKIE] = value;
          reply.setCookie(CSRF_COOKIE, value, { path: '/', httpOnly: true, sameSite: 'lax', secure });
          seed = `anon:${value}`;
        }
        return sign(deps.secret, seed);
      };
    });

    app.addHook('preHandler', async (request: FastifyRequest) => {
      if (SAFE.has(request.method) || isApiRequest(request)) return;
      if (request.routeOptions.config.csrf === false) return;
      const seed = seedOf(request);
      const token = submittedToken(request);
      if (!seed || !token || !safeEqual(token, sign(deps.secret, seed))) throw new DomainError('CSRF_TOKEN_INVALID');
    });
  };
}
