import type { Email } from '../emails.js';
import { formatUtc, htmlBody, type RenderedEmail, reportSubject, textBody } from './email-layout.js';

type TeamNewReport = Extract<Email, { template: 'team-new-report' }>;

/** To the project's team: a report arrived. The title stays inside Embargo, behind sign-in. */
export function renderTeamNewReport(email: TeamNewReport): RenderedEmail {
  const subject = reportSubject(email.projectName, email.trackingId, 'new report');
  const due = formatUtc(email.ackDueAt);
  const text = textBody([
    `A new vulnerability report, ${email.trackingId}, arrived for ${email.projectName}.`,
    `Please acknowledge it by ${due}. Read it after signing in:\n${email.reportUrl}`,
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>
        A new vulnerability report, <strong>{email.trackingId}</strong>, arrived for {email.projectName}.
      </p>
      <p>
        Please acknowledge it by {due}. <a href={email.reportUrl}>Read it after signing in</a>.
      </p>
    </>,
  );
  return { subject, text, html };
}
