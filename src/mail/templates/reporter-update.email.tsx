import type { ReportStatus } from '../../domain/reports/report-state.js';
import { closeReasonLabel, statusLabel } from '../../domain/reports/report-state.js';
import { renderMarkdown } from '../../http/views/markdown.js';
import type { Email } from '../emails.js';
import { htmlBody, type RenderedEmail, reportSubject, textBody } from './email-layout.js';

type ReporterUpdate = Extract<Email, { template: 'reporter-update' }>;

function what(status: ReportStatus | null): string {
  switch (status) {
    case null:
      return 'new message from the team';
    case 'new':
      return 'reopened';
    case 'needs_info':
      return 'more information needed';
    default:
      return status;
  }
}

/** To the reporter: a state change and/or the team's message (Markdown), with the status link. */
export function renderReporterUpdate(email: ReporterUpdate): RenderedEmail {
  const subject = reportSubject(email.projectName, email.trackingId, what(email.status));
  const state = email.status
    ? `Your report ${email.trackingId} to ${email.projectName} is now: ${statusLabel(email.status)}${
        email.status === 'closed' && email.closeReason ? ` (${closeReasonLabel(email.closeReason)})` : ''
      }.`
    : `The ${email.projectName} security team wrote about your report ${email.trackingId}.`;
  const text = textBody([
    'Hello,',
    state,
    email.message ? `Message from the team:\n\n${email.message.trim()}` : null,
    // Only a hash of the private link is stored, so this mail cannot carry it; the page it points
    // to explains where the reporter finds it.
    `Read the whole conversation and reply at the private link you received when you sent the report (see ${email.statusUrl}).`,
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>Hello,</p>
      <p>{state}</p>
      {email.message ? (
        <>
          <p>Message from the team:</p>
          <blockquote
            // Safe: renderMarkdown escapes raw HTML and vets link URLs.
            dangerouslySetInnerHTML={{ __html: renderMarkdown(email.message) }}
          />
        </>
      ) : null}
      <p>
        Read the whole conversation and reply at the private link you received when you sent the report (
        <a href={email.statusUrl}>where to find it</a>).
      </p>
    </>,
  );
  return { subject, text, html };
}
