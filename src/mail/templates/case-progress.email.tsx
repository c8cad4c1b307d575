import type { Email } from '../emails.js';
import { htmlBody, type RenderedEmail, reportSubject, textBody } from './email-layout.js';

type CaseProgress = Extract<Email, { template: 'case-progress' }>;

const what: Record<CaseProgress['milestone'], string> = {
  'fix-team-formed': 'a Fix Team has formed',
  'fix-ready': 'the fix is ready',
  scheduled: 'the release is scheduled',
  published: 'the fix is released',
};

/** To the reporter: a milestone of the case their report became. */
export function renderCaseProgress(email: CaseProgress): RenderedEmail {
  const subject = reportSubject(email.projectName, email.trackingId, what[email.milestone]);
  const text = textBody([
    'Hello,',
    `News about your report ${email.trackingId} to ${email.projectName}: ${email.words}`,
    `Follow it and write to the team at the private link you received when you sent the report (see ${email.statusUrl}).`,
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>Hello,</p>
      <p>
        News about your report <strong>{email.trackingId}</strong> to {email.projectName}: {email.words}
      </p>
      <p>
        Follow it and write to the team at the private link you received when you sent the report (
        <a href={email.statusUrl}>where to find it</a>).
      </p>
    </>,
  );
  return { subject, text, html };
}
