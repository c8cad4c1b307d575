import { ADVISORY_PROSE_FIELDS, ADVISORY_SECTION_TITLES } from '../../domain/advisories/advisories.js';
import { renderMarkdown } from '../../http/views/markdown.js';
import type { Email } from '../emails.js';
import { formatUtc, htmlBody, type RenderedEmail, subjectLine, textBody } from './email-layout.js';

type Notice = Extract<Email, { template: 'distributor-notice' }>;

/**
 * To one contact of a distributor: the embargoed advisory draft and the patches (attached), under the
 * programme's terms. The subject travels in the clear even when the body is encrypted, so it says
 * only the project, the case number and the release time.
 */
export function renderDistributorNotice(email: Notice): RenderedEmail {
  const s = email.snapshot;
  const release = formatUtc(s.releaseAt);
  const subject = subjectLine(`[EMBARGOED] ${email.projectName}: security release ${release} (case ${s.caseNumber})`);
  const embargo =
    `This is an embargoed notice to ${email.distributorName} under the distributor terms of ${email.projectName} ` +
    `(version ${email.termsVersion}). Share it only with the people who prepare your update, and publish nothing ` +
    `about it before ${release}.`;
  const prose = ADVISORY_PROSE_FIELDS.filter((f) => s.advisory[f]);
  const credits = s.advisory.credits.map((c) => `${c.name} (${c.type.toLowerCase().replace(/_/g, ' ')})`);
  const patches = s.patches.map((p) => `${p.filename} for ${p.branchName} (sha256 ${p.sha256})`);
  const text = textBody([
    embargo,
    `Planned release: ${release}`,
    `Summary: ${s.advisory.summary}`,
    `Severity: ${s.severity}`,
    s.affectedVersions.length ? `Affected:\n${s.affectedVersions.map((v) => `- ${v}`).join('\n')}` : null,
    s.fixedVersions.length ? `Fixed in:\n${s.fixedVersions.map((v) => `- ${v}`).join('\n')}` : null,
    ...prose.map((f) => `${ADVISORY_SECTION_TITLES[f]}:\n\n${s.advisory[f]}`),
    credits.length ? `Credits: ${credits.join('; ')}` : null,
    patches.length ? `Patches (attached):\n${patches.map((p) => `- ${p}`).join('\n')}` : 'No patch is attached.',
    `Please acknowledge receipt (one click):\n${email.ackUrl}`,
    `The notice, with any later change, in the distributor portal:\n${email.noticeUrl}`,
    email.contact ? `Questions, or signs of a leak or of exploitation: ${email.contact}` : null,
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>
        <strong>{embargo}</strong>
      </p>
      <p>
        Planned release: <strong>{release}</strong>
      </p>
      <h2>{s.advisory.summary}</h2>
      <p>Severity: {s.severity}</p>
      {s.affectedVersions.length ? (
        <>
          <h3>Affected</h3>
          <ul>
            {s.affectedVersions.map((v) => (
              <li key={v}>{v}</li>
            ))}
          </ul>
        </>
      ) : null}
      {s.fixedVersions.length ? (
        <>
          <h3>Fixed in</h3>
          <ul>
            {s.fixedVersions.map((v) => (
              <li key={v}>{v}</li>
            ))}
          </ul>
        </>
      ) : null}
      {prose.map((f) => (
        <section key={f}>
          <h3>{ADVISORY_SECTION_TITLES[f]}</h3>
          {/* Safe: renderMarkdown escapes raw HTML and vets link URLs. */}
          <div dangerouslySetInnerHTML={{ __html: renderMarkdown(s.advisory[f]) }} />
        </section>
      ))}
      {credits.length ? <p>Credits: {credits.join('; ')}</p> : null}
      <h3>Patches</h3>
      {patches.length ? (
        <ul>
          {patches.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : (
        <p>No patch is attached.</p>
      )}
      <p>
        <a href={email.ackUrl}>Acknowledge receipt</a> · <a href={email.noticeUrl}>The notice in the portal</a>
      </p>
      {email.contact ? <p>Questions, or signs of a leak or of exploitation: {email.contact}</p> : null}
    </>,
  );
  return { subject, text, html };
}
