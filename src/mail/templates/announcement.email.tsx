import { renderMarkdown } from '../../http/views/markdown.js';
import type { Email } from '../emails.js';
import { htmlBody, type RenderedEmail, subjectLine, textBody } from './email-layout.js';

type Announcement = Extract<Email, { template: 'announcement' }>;

/** One subscriber's copy of a public announcement, with its own unsubscribe link. */
export function renderAnnouncement(email: Announcement): RenderedEmail {
  const subject = subjectLine(`[${email.listName}] ${email.subject}`);
  const text = textBody([
    email.body.trim(),
    `Online: ${email.announcementUrl}`,
    `You receive this as a subscriber of ${email.listName} (${email.projectName}). Unsubscribe: ${email.unsubscribeUrl}`,
  ]);
  const html = htmlBody(
    subject,
    <>
      {/* Safe: renderMarkdown escapes raw HTML and vets link URLs. */}
      <div dangerouslySetInnerHTML={{ __html: renderMarkdown(email.body) }} />
      <p>
        <a href={email.announcementUrl}>Read it online</a>
      </p>
      <p>
        <small>
          You receive this as a subscriber of {email.listName} ({email.projectName}).{' '}
          <a href={email.unsubscribeUrl}>Unsubscribe</a>
        </small>
      </p>
    </>,
  );
  return { subject, text, html };
}
