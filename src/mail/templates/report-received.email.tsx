import type { Email } from '../emails.js';
import { htmlBody, type RenderedEmail, reportSubject, textBody } from './email-layout.js';

type ReportReceived = Extract<Email, { template: 'report-received' }>;

/** To the reporter, right after intake: the tracking id and the private status link. */
export function renderReportReceived(email: ReportReceived): RenderedEmail {
  const subject = reportSubject(email.projectName, email.trackingId, 'received');
  const hours = `${email.ackTargetHours} hour${email.ackTargetHours === 1 ? '' : 's'}`;
  const text = textBody([
    'Hello,',
    `The ${email.projectName} security team has received your report ${email.trackingId}. Only the project's security team can read it.`,
    `The team aims to acknowledge new reports within ${hours}. Follow your report, answer questions and add details on its private status page:`,
    email.statusUrl,
    'Keep this link private: anyone who has it can read your report and reply as you.',
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>Hello,</p>
      <p>
        The {email.projectName} security team has received your report <strong>{email.trackingId}</strong>. Only the
        project's security team can read it.
      </p>
      <p>
        The team aims to acknowledge new reports within {hours}. Follow your report, answer questions and add details on
        its <a href={email.statusUrl}>private status page</a>:
      </p>
      <p>
        <a href={email.statusUrl}>{email.statusUrl}</a>
      </p>
      <p>Keep this link private: anyone who has it can read your report and reply as you.</p>
    </>,
  );
  return { subject, text, html };
}
