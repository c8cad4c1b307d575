import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isUniqueViolation } from '../../db/dialect.js';
import { DomainError, type ErrorCode, errorCatalogue } from '../../errors.js';
import { ErrorPage } from '../views/error-page.js';
import { isApiRequest } from './api-path.js';

/** The one place a domain error code becomes an HTTP status. */
export const statusOf: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_ATTACHMENTS: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  SPAM_SUSPECTED: 400,
  CSRF_TOKEN_INVALID: 403,
  AUTH_REQUIRED: 401,
  API_TOKEN_INVALID: 401,
  LOGIN_FAILED: 401,
  LOGIN_THROTTLED: 429,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PROJECT_NOT_FOUND: 404,
  REPORT_NOT_FOUND: 404,
  STATUS_TOKEN_INVALID: 404,
  SETUP_TOKEN_INVALID: 404,
  INVALID_TRANSITION: 409,
  REPLIES_CLOSED: 409,
  DUPLICATE_TARGET_INVALID: 400,
  CONFLICT: 409,
  SLUG_TAKEN: 409,
  EMAIL_TAKEN: 409,
  LAST_ADMIN: 409,
  // Well-formed and allowed by the case's state, but refused by the project's embargo policy.
  EMBARGO_TOO_LONG: 422,
  CVE_POOL_EMPTY: 409,
  // The upstream service's fault or refusal, not ours and not the requester's input.
  CVE_SERVICES_FAILED: 502,
  INTERNAL: 500,
};

/**
 * Fastify's own error codes that are the client's fault, mapped into the catalogue; and a unique
 * violation a service did not translate itself (two simultaneous requests creating the same thing),
 * which is a conflict, not a server fault. The driver's message names tables: it is not echoed.
 */
function fromFastify(err: FastifyError): DomainError | undefined {
  if (isUniqueViolation(err)) return new DomainError('CONFLICT');
  if (err.validation) {
    const first = err.validation[0];
    const field =
      first?.instancePath?.replace(/^\//, '') || (first?.params as { missingProperty?: string })?.missingProperty;
    return new DomainError('VALIDATION_FAILED', err.message, field ? { field } : undefined);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new DomainError('PAYLOAD_TOO_LARGE');
    case 'FST_FILES_LIMIT':
      return new DomainError('TOO_MANY_ATTACHMENTS');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new DomainError('UNSUPPORTED_MEDIA_TYPE');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new DomainError('VALIDATION_FAILED', err.message);
    default:
      if (err.statusCode === 400 && err instanceof SyntaxError)
        return new DomainError('VALIDATION_FAILED', 'The body is not valid JSON.');
      return undefined;
  }
}

/** JSON for the API and for clients that ask for it; an HTML page for browsers. */
export function wantsJson(request: FastifyRequest): boolean {
  if (isApiRequest(request)) return true;
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: DomainError): FastifyReply {
  const status = statusOf[error.code];
  if (error.code === 'RATE_LIMITED' || error.code === 'LOGIN_THROTTLED') {
    const retry = error.details?.retryAfterSeconds;
    if (typeof retry === 'number') reply.header('retry-after', String(retry));
  }
  // A 5xx never echoes its message: it may hold internals.
  const message = status >= 500 ? errorCatalogue.INTERNAL : error.message;
  if (wantsJson(request)) {
    return reply
      .status(status)
      .send({ error: { code: error.code, message, ...(error.details ? { details: error.details } : {}) } });
  }
  return reply.status(status).page(ErrorPage({ status, code: error.code, message }), { title: 'Error' });
}

export async function errorsPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const domain = err instanceof DomainError ? err : fromFastify(err);
    if (domain) return sendError(request, reply, domain);
    request.log.error({ err: { message: err.message, stack: err.stack, code: err.code } }, 'unhandled error');
    return sendError(request, reply, new DomainError('INTERNAL'));
  });
  app.setNotFoundHandler((request, reply) => sendError(request, reply, new DomainError('NOT_FOUND')));
}
