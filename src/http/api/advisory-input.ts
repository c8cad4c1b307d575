import type { AdvisoryMeta, AdvisoryText } from '../../domain/advisories/advisories.js';
import { parseAdvisoryText } from '../../domain/advisories/advisories.service.js';
import { parseAdvisoryMeta } from '../../domain/advisories/advisory-meta.js';
import { DomainError, isDomainError } from '../../errors.js';

// A revision's input is one body holding the advisory's text, its ids and references, and its own
// one-line summary: each part's parser names fields as if it were alone ("summary" is the title
// and the change summary both), so a refusal is renamed to the path of the field in the whole.

/** Runs a parser; a refusal naming a field names `<prefix>.<field>` instead ('' leaves it). */
export function under<T>(prefix: string, parse: () => T): T {
  if (prefix === '') return parse();
  try {
    return parse();
  } catch (err) {
    const field = isDomainError(err) ? err.details?.field : undefined;
    if (!isDomainError(err) || typeof field !== 'string') throw err;
    throw new DomainError(err.code, err.message, { ...err.details, field: `${prefix}.${field}` });
  }
}

/** The text of a revision: a published advisory keeps a summary, its public title. */
export function revisionText(raw: unknown, prefix: string): AdvisoryText {
  const text = under(prefix, () => parseAdvisoryText(raw));
  if (!text.summary) {
    throw new DomainError('VALIDATION_FAILED', 'A published advisory keeps its summary (its public title).', {
      field: prefix ? `${prefix}.summary` : 'summary',
    });
  }
  return text;
}

export function revisionMeta(raw: unknown, prefix: string): AdvisoryMeta {
  return under(prefix, () => parseAdvisoryMeta(raw));
}

/** Runs a change; a refusal naming the field `from` names `to` instead. */
export async function renaming<T>(from: string, to: string, change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (err) {
    if (!isDomainError(err) || err.details?.field !== from) throw err;
    throw new DomainError(err.code, err.message, { ...err.details, field: to });
  }
}
