import type { Email } from '../emails.js';
import { formatUtc, htmlBody, type RenderedEmail, subjectLine, textBody } from './email-layout.js';

type Confirm = Extract<Email, { template: 'dependent-confirm' }>;

/** Double opt-in of an outside dependent: no alert reaches the address until its owner follows this link. */
export function renderDependentConfirm(email: Confirm): RenderedEmail {
  const subject = subjectLine('Confirm your security alerts for the packages you depend on');
  const expires = formatUtc(email.expiresAt);
  const what = `${email.registration} (${email.packageCount} package${email.packageCount === 1 ? '' : 's'})`;
  const text = textBody([
    'Hello,',
    `Someone, probably you, registered ${what} as "${email.dependentName}" to be told when an advisory affects one of those packages.`,
    `To confirm, open this link (it expires at ${expires}):\n${email.confirmUrl}`,
    'Once confirmed, you will see what already affects them, and get a link to change or end the registration.',
    'If it was not you, ignore this message: nothing will be sent to this address.',
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>Hello,</p>
      <p>
        Someone, probably you, registered {what} as "{email.dependentName}" to be told when an advisory affects one of
        those packages.
      </p>
      <p>
        <a href={email.confirmUrl}>Confirm the registration</a> (the link expires at {expires}).
      </p>
      <p>Once confirmed, you will see what already affects them, and get a link to change or end the registration.</p>
      <p>If it was not you, ignore this message: nothing will be sent to this address.</p>
    </>,
  );
  return { subject, text, html };
}
