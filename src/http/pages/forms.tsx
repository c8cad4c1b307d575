import type { FastifyRequest } from 'fastify';
import { type DomainError, isDomainError } from '../../errors.js';
import { statusOf, wantsJson } from '../plugins/errors.js';

/**
 * One text field of a submitted form (URL-encoded or multipart), or '' when absent. A repeated
 * field yields its first value, so a crafted body cannot turn a string into an array.
 */
export function field(body: unknown, name: string): string {
  if (!body || typeof body !== 'object') return '';
  const raw = (body as Record<string, unknown>)[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'value' in value && typeof value.value === 'string') return value.value;
  return '';
}

/** A checkbox: present (any value but '0') means checked. */
export function checkbox(body: unknown, name: string): boolean {
  const value = field(body, name);
  return value !== '' && value !== '0';
}

/** A whole-number field: '' is undefined (a default applies); anything but digits is NaN, which validation refuses. */
export function wholeNumber(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  return /^\d{1,9}$/.test(t) ? Number(t) : Number.NaN;
}

/**
 * For a form handler's catch: returns the DomainError to show beside the form (with its status),
 * or rethrows what is not one, and everything for JSON clients, for the central error mapping.
 */
export function formFailure(request: FastifyRequest, err: unknown): { error: DomainError; status: number } {
  if (!isDomainError(err) || wantsJson(request)) throw err;
  return { error: err, status: statusOf[err.code] };
}

/** The error message above a re-rendered form; the code is for support requests and tests. */
export function ErrorNotice({ error }: { error: DomainError | undefined }) {
  if (!error) return null;
  return (
    <p class="notice error" role="alert" data-code={error.code}>
      {error.message}
    </p>
  );
}

/** Maps an error's `details.field` to an `aria-invalid` flag for that input. */
export function invalidIf(error: DomainError | undefined, name: string): 'true' | undefined {
  return error?.details?.field === name ? 'true' : undefined;
}
