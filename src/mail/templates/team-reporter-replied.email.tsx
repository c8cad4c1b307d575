import type { Email } from '../emails.js';
import { htmlBody, type RenderedEmail, reportSubject, textBody } from './email-layout.js';

type TeamReporterReplied = Extract<Email, { template: 'team-reporter-replied' }>;

/** To the project's team: the reporter wrote on their status page. The reply itself stays in Embargo. */
export function renderTeamReporterReplied(email: TeamReporterReplied): RenderedEmail {
  const subject = reportSubject(email.projectName, email.trackingId, 'the reporter replied');
  const text = textBody([
    `The reporter of ${email.trackingId} (${email.projectName}) added a message.`,
    `Read it after signing in:\n${email.reportUrl}`,
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>
        The reporter of <strong>{email.trackingId}</strong> ({email.projectName}) added a message.
      </p>
      <p>
        <a href={email.reportUrl}>Read it after signing in</a>.
      </p>
    </>,
  );
  return { subject, text, html };
}
