import { DomainError } from '../../errors.js';
import type { CreditPreference } from './reports.js';

/** A report as submitted through the form or the API, before any check. */
export interface ReportInput {
  title: string;
  description: string;
  affectedVersions?: string | null;
  reproduction?: string | null;
  impact?: string | null;
  reporterName?: string | null;
  reporterEmail?: string | null;
  credit?: string | null;
  /** The form's hidden trap field: people leave it empty, form-filling robots do not. */
  honeypot?: string | null;
}

export interface CheckedReport {
  title: string;
  description: string;
  affectedVersions: string | null;
  reproduction: string | null;
  impact: string | null;
  reporterName: string | null;
  reporterEmail: string | null;
  credit: CreditPreference;
}

export const LIMITS = {
  title: 200,
  description: 50_000,
  affectedVersions: 2_000,
  reproduction: 50_000,
  impact: 10_000,
  reporterName: 200,
  reporterEmail: 254,
  message: 50_000,
} as const;

const CREDITS: readonly CreditPreference[] = ['name', 'anonymous', 'none'];
// Deliberately plain: one @, no spaces, quotes, brackets or line breaks (it goes into mail headers),
// and none of the URL syntax `? & = % / \ #` (it goes into the team's mailto: links, where
// `x@a.org?bcc=spy%40b.org` would copy someone else on the team's answer). `+` and dots are fine.
const EMAIL = /^[^\s@<>()[\]\\,;:"?&=%/#]+@[^\s@<>()[\]\\,;:".?&=%/#]+(\.[^\s@<>()[\]\\,;:".?&=%/#]+)+$/;

function invalid(field: string, message: string): never {
  throw new DomainError('VALIDATION_FAILED', message, { field });
}

/** PostgreSQL text cannot hold NUL, and it never means anything in a report. */
export function clean(value: string): string {
  return value.replaceAll('\u0000', '');
}

/** A required text: trimmed, 1..max characters. */
export function requiredText(field: string, label: string, raw: unknown, max: number): string {
  const value = typeof raw === 'string' ? clean(raw).trim() : '';
  if (!value) invalid(field, `${label} is required.`);
  if (value.length > max) invalid(field, `${label} can be at most ${max.toLocaleString('en')} characters.`);
  return value;
}

function optionalText(field: string, label: string, raw: unknown, max: number): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string') invalid(field, `${label} must be text.`);
  const value = clean(raw).trim();
  if (value.length > max) invalid(field, `${label} can be at most ${max.toLocaleString('en')} characters.`);
  return value || null;
}

/** Every field of a submission checked and normalised, or VALIDATION_FAILED naming the first bad field. */
export function checkReportInput(input: ReportInput): CheckedReport {
  const title = requiredText('title', 'A title', input.title, LIMITS.title);
  const description = requiredText('description', 'A description', input.description, LIMITS.description);
  const reporterName = optionalText('reporterName', 'Your name', input.reporterName, LIMITS.reporterName);
  const reporterEmail = optionalText('reporterEmail', 'Your email', input.reporterEmail, LIMITS.reporterEmail);
  if (reporterEmail && !EMAIL.test(reporterEmail)) invalid('reporterEmail', 'The email address does not look right.');
  const credit = input.credit || (reporterName ? 'name' : 'anonymous');
  if (!(CREDITS as readonly string[]).includes(credit)) {
    invalid('credit', 'Credit must be one of: name, anonymous, none.');
  }
  return {
    title,
    description,
    affectedVersions: optionalText(
      'affectedVersions',
      'Affected versions',
      input.affectedVersions,
      LIMITS.affectedVersions,
    ),
    reproduction: optionalText('reproduction', 'Steps to reproduce', input.reproduction, LIMITS.reproduction),
    impact: optionalText('impact', 'Impact', input.impact, LIMITS.impact),
    reporterName,
    reporterEmail,
    credit: credit as CreditPreference,
  };
}
