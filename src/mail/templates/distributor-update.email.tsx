import type { Email } from '../emails.js';
import { formatUtc, htmlBody, type RenderedEmail, subjectLine, textBody } from './email-layout.js';

type Update = Extract<Email, { template: 'distributor-update' }>;

function words(email: Update): { what: string; say: string } {
  const release = email.releaseAt ? formatUtc(email.releaseAt) : '';
  switch (email.kind) {
    case 'prerelease':
      return {
        what: `release in 24 hours, ${release}`,
        say: `Reminder: the fix is released at ${release}. The embargo holds until then.`,
      };
    case 'revision':
      return {
        what: `release moved to ${release}`,
        say:
          `The release moved${email.previousReleaseAt ? ` from ${formatUtc(email.previousReleaseAt)}` : ''} to ${release}. ` +
          'The embargo now lasts until then.',
      };
    case 'broken':
      return {
        what: 'embargo broken',
        say: 'The embargo is broken (a leak, or exploitation seen): the fix will be released as soon as possible. You may prepare to publish at short notice.',
      };
    case 'released':
      return { what: 'released', say: 'The fix is released and the advisory is public: the embargo is over.' };
    case 'cancelled':
      return {
        what: 'release postponed',
        say: 'The planned release is called off for now; a new time will follow. The embargo still holds.',
      };
  }
}

/** To the recipients of a notice: a change of its release. The reason is written by the team for them. */
export function renderDistributorUpdate(email: Update): RenderedEmail {
  const { what, say } = words(email);
  const embargoed = email.kind !== 'released';
  const subject = subjectLine(
    `${embargoed ? '[EMBARGOED] ' : ''}${email.projectName}: case ${email.caseNumber}, ${what}`,
  );
  const text = textBody([
    `To ${email.distributorName}:`,
    say,
    email.reason ? `Why: ${email.reason}` : null,
    email.advisoryUrl ? `The advisory: ${email.advisoryUrl}` : null,
    `The notice in the distributor portal:\n${email.noticeUrl}`,
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>To {email.distributorName}:</p>
      <p>
        <strong>{say}</strong>
      </p>
      {email.reason ? <p>Why: {email.reason}</p> : null}
      {email.advisoryUrl ? (
        <p>
          <a href={email.advisoryUrl}>The advisory</a>
        </p>
      ) : null}
      <p>
        <a href={email.noticeUrl}>The notice in the distributor portal</a>
      </p>
    </>,
  );
  return { subject, text, html };
}
