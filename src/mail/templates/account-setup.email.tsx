import type { Email } from '../emails.js';
import {
  formatUtc,
  htmlBody,
  type RenderedEmail,
  subjectLine,
  type TemplateContext,
  textBody,
} from './email-layout.js';

type AccountSetup = Extract<Email, { template: 'account-setup' }>;

/** To a new team member: a one-time link to choose a password. */
export function renderAccountSetup(email: AccountSetup, ctx: TemplateContext): RenderedEmail {
  const host = ctx.config.publicUrl.host;
  const subject = subjectLine(`[Embargo] Set up your account on ${host}`);
  const expires = formatUtc(email.expiresAt);
  const text = textBody([
    `Hello ${email.name},`,
    `An account was created for you on Embargo at ${host}, where projects handle vulnerability reports in private.`,
    `Choose your password with this link. It works once and expires at ${expires}:\n${email.setupUrl}`,
    'If you did not expect this, you can ignore this message.',
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>Hello {email.name},</p>
      <p>
        An account was created for you on Embargo at {host}, where projects handle vulnerability reports in private.
      </p>
      <p>
        <a href={email.setupUrl}>Choose your password</a>. The link works once and expires at {expires}.
      </p>
      <p>If you did not expect this, you can ignore this message.</p>
    </>,
  );
  return { subject, text, html };
}
