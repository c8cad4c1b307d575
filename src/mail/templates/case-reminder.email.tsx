import type { Email } from '../emails.js';
import { htmlBody, type RenderedEmail, subjectLine, textBody } from './email-layout.js';

type CaseReminder = Extract<Email, { template: 'case-reminder' }>;

/**
 * To a case's owner when nothing moved on it for the interval its severity sets. Mail may travel in
 * the clear, so it names only the project and the case number: the title, the severity and the
 * deadline (which together say "project X has an unfixed critical bug due on D") stay behind sign-in.
 */
export function renderCaseReminder(email: CaseReminder): RenderedEmail {
  const subject = subjectLine(
    `[${email.projectName}] Case #${email.caseNumber}: nothing moved for ${email.idleDays} days`,
  );
  const text = textBody([
    `Case #${email.caseNumber} of ${email.projectName} has not moved for ${email.idleDays} days, longer than its severity allows.`,
    `See its deadlines and move it on after signing in:\n${email.caseUrl}`,
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>
        Case <strong>#{email.caseNumber}</strong> of {email.projectName} has not moved for {email.idleDays} days, longer
        than its severity allows.
      </p>
      <p>
        <a href={email.caseUrl}>See its deadlines and move it on after signing in</a>.
      </p>
    </>,
  );
  return { subject, text, html };
}
