/**
 * The closed catalogue of error codes Embargo returns. Each code has one meaning, documented here;
 * HTTP statuses are chosen in http/plugins/errors.ts, never by the domain.
 */
export const errorCatalogue = {
  VALIDATION_FAILED: 'The input is malformed: a field is missing, of the wrong type or out of range.',
  PAYLOAD_TOO_LARGE: 'The request body or an attachment is larger than allowed.',
  TOO_MANY_ATTACHMENTS: 'More attachments than allowed in one submission.',
  UNSUPPORTED_MEDIA_TYPE: 'The request body is in a format this endpoint does not accept.',
  RATE_LIMITED: 'Too many requests from this address or for this account; try again later.',
  SPAM_SUSPECTED: 'The submission looks automated (the honeypot field was filled in).',
  CSRF_TOKEN_INVALID: 'A state-changing request came without a valid CSRF token for this browser session.',
  AUTH_REQUIRED: 'Sign in first.',
  API_TOKEN_INVALID: 'The API token is unknown, expired or revoked.',
  LOGIN_FAILED: 'The email address or password is wrong.',
  LOGIN_THROTTLED: 'Too many failed sign-ins; wait before trying again.',
  FORBIDDEN: 'The signed-in account may not do this.',
  NOT_FOUND: 'No such resource, or it is not visible to the requester.',
  PROJECT_NOT_FOUND: 'No project has this slug.',
  REPORT_NOT_FOUND: 'No report with this id in this project, or it is not visible to the requester.',
  STATUS_TOKEN_INVALID: 'The private status link is wrong or no longer valid.',
  SETUP_TOKEN_INVALID: 'The one-time link is wrong, used or expired.',
  INVALID_TRANSITION: 'The report or case cannot move from its current state by this action.',
  REPLIES_CLOSED: 'The report was closed as spam; its status link no longer takes messages.',
  DUPLICATE_TARGET_INVALID: 'A duplicate must point at another report of the same project.',
  CONFLICT: 'The resource already exists or was changed by someone else.',
  SLUG_TAKEN: 'Another project already uses this slug.',
  EMAIL_TAKEN: 'Another account already uses this email address.',
  LAST_ADMIN: 'The last admin (of the instance, or of a project) cannot be removed, demoted or disabled.',
  EMBARGO_TOO_LONG:
    "The planned release is later than the project's maximum embargo after the distributor notice allows.",
  CVE_POOL_EMPTY: 'The project has no reserved CVE id left to assign: reserve more first.',
  CVE_SERVICES_FAILED: 'CVE Services refused the request or could not be reached; nothing was changed here.',
  INTERNAL: 'Something failed on the server; the details are in its log.',
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

/** A failure the requester can act on. `details` must never hold secrets or embargoed text. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? errorCatalogue[code]);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
