import type { Email } from '../emails.js';
import { formatUtc, htmlBody, type RenderedEmail, subjectLine, textBody } from './email-layout.js';

type CaseInvitation = Extract<Email, { template: 'case-invitation' }>;

/**
 * To someone outside a project invited to one of its cases. Mail may travel in the clear, so it names
 * the project only: not the case's number, title or severity, which stay behind sign-in.
 */
export function renderCaseInvitation(email: CaseInvitation): RenderedEmail {
  const subject = subjectLine(`[${email.projectName}] You were invited to a security case`);
  const expires = email.expiresAt ? formatUtc(email.expiresAt) : '';
  const text = textBody([
    `Hello ${email.name},`,
    `You were invited to a security case of ${email.projectName} on Embargo, where vulnerabilities are handled in private until they are fixed.`,
    email.setupUrl
      ? `First choose your password with this link. It works once and expires at ${expires}:\n${email.setupUrl}`
      : null,
    `Then sign in to see the case:\n${email.signInUrl}`,
    'If you did not expect this, you can ignore this message.',
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>Hello {email.name},</p>
      <p>
        You were invited to a security case of {email.projectName} on Embargo, where vulnerabilities are handled in
        private until they are fixed.
      </p>
      {email.setupUrl ? (
        <p>
          First <a href={email.setupUrl}>choose your password</a>. The link works once and expires at {expires}.
        </p>
      ) : null}
      <p>
        Then <a href={email.signInUrl}>sign in</a> to see the case.
      </p>
      <p>If you did not expect this, you can ignore this message.</p>
    </>,
  );
  return { subject, text, html };
}
