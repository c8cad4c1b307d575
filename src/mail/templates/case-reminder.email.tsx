import type { Email } from '../emails.js';
import { formatUtc, htmlBody, type RenderedEmail, subjectLine, textBody } from './email-layout.js';

type CaseReminder = Extract<Email, { template: 'case-reminder' }>;

/**
 * To a case's owner when nothing moved on it for the interval its severity sets. The case's title
 * and details stay in Embargo: the mail names only the project, the case number and its clocks.
 */
export function renderCaseReminder(email: CaseReminder): RenderedEmail {
  const subject = subjectLine(
    `[${email.projectName}] Case #${email.caseNumber}: nothing moved for ${email.idleDays} days`,
  );
  const due = email.fixDueAt ? `The fix is due ${formatUtc(email.fixDueAt)}.` : null;
  const text = textBody([
    `Case #${email.caseNumber} of ${email.projectName} (severity ${email.severity}) has not moved for ${email.idleDays} days.`,
    due,
    `Open it after signing in:\n${email.caseUrl}`,
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>
        Case <strong>#{email.caseNumber}</strong> of {email.projectName} (severity {email.severity}) has not moved for{' '}
        {email.idleDays} days.
      </p>
      {due ? <p>{due}</p> : null}
      <p>
        <a href={email.caseUrl}>Open it after signing in</a>.
      </p>
    </>,
  );
  return { subject, text, html };
}
