import type { FastifyRequest } from 'fastify';

/**
 * Whether a request is for the JSON API, which never reads cookies (and so needs no CSRF token).
 * Decided by the route that matched as well as the raw URL: the router decodes the path before
 * matching, so `/%61pi/...` reaches an /api/ route while its raw URL does not start with /api/.
 * Auth and CSRF must use this same test, so that nothing is ever both cookie-authenticated and
 * exempt from CSRF.
 */
export function isApiRequest(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/')) return true;
  if (request.routeOptions.url?.startsWith('/api/')) return true;
  try {
    return decodeURIComponent(request.url.split('?')[0] ?? '').startsWith('/api/');
  } catch {
    return false;
  }
}
