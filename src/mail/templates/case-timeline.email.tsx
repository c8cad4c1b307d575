import type { Email } from '../emails.js';
import { htmlBody, type RenderedEmail, subjectLine, textBody } from './email-layout.js';

type Timeline = Extract<Email, { template: 'case-timeline' }>;

const WHAT: Record<Timeline['step'], (count: number | null) => string> = {
  'distributors-notified': (n) => `distributors notified (${n ?? 0} recipients)`,
  'fix-forthcoming': (n) => `"fix forthcoming" notice published (${n ?? 0} subscribers)`,
  prerelease: (n) => `24-hour notice sent to distributors (${n ?? 0} recipients)`,
  published: () => 'released: the advisory is public',
  retrospective: () => 'the retrospective is drafted',
};

/** To the Fix Team and the case's owner: a step of the timeline was done. Never the case's words. */
export function renderCaseTimeline(email: Timeline): RenderedEmail {
  const what = WHAT[email.step](email.count);
  const subject = subjectLine(`[${email.projectName}] Case #${email.caseNumber}: ${what}`);
  const text = textBody([`Case #${email.caseNumber} of ${email.projectName}: ${what}.`, `The case: ${email.caseUrl}`]);
  const html = htmlBody(
    subject,
    <>
      <p>
        Case #{email.caseNumber} of {email.projectName}: {what}.
      </p>
      <p>
        <a href={email.caseUrl}>Open the case</a>
      </p>
    </>,
  );
  return { subject, text, html };
}
