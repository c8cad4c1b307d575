import type { Email } from '../emails.js';
import { formatUtc, htmlBody, type RenderedEmail, subjectLine, textBody } from './email-layout.js';

type Welcome = Extract<Email, { template: 'distributor-welcome' }>;

/** To a new contact of a distributor: nothing embargoed, only what the portal is and how to get in. */
export function renderDistributorWelcome(email: Welcome): RenderedEmail {
  const subject = subjectLine(`[${email.projectName}] You are a security contact of ${email.distributorName}`);
  const expires = email.expiresAt ? formatUtc(email.expiresAt) : '';
  const intro =
    `You were added as a security contact of ${email.distributorName} in the distributor programme of ` +
    `${email.projectName}. Distributors hear of security fixes ahead of their release, under embargo, so ` +
    'their users are protected the day a fix is public.';
  const text = textBody([
    `Hello ${email.name},`,
    intro,
    email.setupUrl
      ? `First choose your password with this link. It works once and expires at ${expires}:\n${email.setupUrl}`
      : null,
    `Notices come by mail. The distributor portal shows each one, and there you read and accept the embargo terms:\n${email.portalUrl}`,
    'If you did not expect this, you can ignore this message.',
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>Hello {email.name},</p>
      <p>{intro}</p>
      {email.setupUrl ? (
        <p>
          First <a href={email.setupUrl}>choose your password</a>. The link works once and expires at {expires}.
        </p>
      ) : null}
      <p>
        Notices come by mail. The <a href={email.portalUrl}>distributor portal</a> shows each one, and there you read
        and accept the embargo terms.
      </p>
      <p>If you did not expect this, you can ignore this message.</p>
    </>,
  );
  return { subject, text, html };
}
