import type { Email } from '../emails.js';
import { formatUtc, htmlBody, type RenderedEmail, subjectLine, textBody } from './email-layout.js';

type Confirm = Extract<Email, { template: 'list-confirm' }>;

/** Double opt-in: nothing is sent to the address until its owner follows this link. */
export function renderListConfirm(email: Confirm): RenderedEmail {
  const subject = subjectLine(`[${email.projectName}] Confirm your subscription to ${email.listName}`);
  const expires = formatUtc(email.expiresAt);
  const text = textBody([
    'Hello,',
    `Someone, probably you, asked to subscribe this address to ${email.listName}, the ${email.projectName} announcement list.`,
    `To confirm, open this link (it expires at ${expires}):\n${email.confirmUrl}`,
    'If it was not you, ignore this message: the address is not subscribed and will hear nothing more.',
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>Hello,</p>
      <p>
        Someone, probably you, asked to subscribe this address to {email.listName}, the {email.projectName} announcement
        list.
      </p>
      <p>
        <a href={email.confirmUrl}>Confirm the subscription</a> (the link expires at {expires}).
      </p>
      <p>If it was not you, ignore this message: the address is not subscribed and will hear nothing more.</p>
    </>,
  );
  return { subject, text, html };
}
