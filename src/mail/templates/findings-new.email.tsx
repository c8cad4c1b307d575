import type { Email } from '../emails.js';
import { formatUtc, htmlBody, type RenderedEmail, subjectLine, textBody } from './email-layout.js';

type FindingsNew = Extract<Email, { template: 'findings-new' }>;
type Listed = FindingsNew['findings'][number];

const count = (n: number) => `${n} new vulnerable dependenc${n === 1 ? 'y' : 'ies'}`;
const due = (f: Listed) => (f.dueAt ? formatUtc(f.dueAt) : 'no deadline');
const fix = (f: Listed) => (f.fixedVersion ? `fixed in ${f.fixedVersion}` : 'no fixed version yet');

/**
 * To a project's members: re-evaluating a release branch found vulnerabilities in package versions
 * it ships. The vulnerabilities are public ones; the list says which, so the team can judge the
 * urgency before signing in, where the findings are triaged.
 */
export function renderFindingsNew(email: FindingsNew): RenderedEmail {
  const total = email.findings.length + email.more;
  const subject = subjectLine(`[${email.projectName}] ${count(total)} on ${email.branchName}`);
  const line = (f: Listed) =>
    `- ${f.name}@${f.version} (${f.ecosystem}): ${f.vulnId}, ${f.severity}, ${fix(f)}, due ${due(f)}`;
  const text = textBody([
    `The release branch ${email.branchName} of ${email.projectName} ships ${total === 1 ? 'a package version' : 'package versions'} with known vulnerabilities:`,
    email.findings.map(line).join('\n'),
    email.more > 0 ? `… and ${email.more} more.` : null,
    `Triage them after signing in:\n${email.findingsUrl}`,
  ]);
  const html = htmlBody(
    subject,
    <>
      <p>
        The release branch <strong>{email.branchName}</strong> of {email.projectName} ships{' '}
        {total === 1 ? 'a package version' : 'package versions'} with known vulnerabilities:
      </p>
      <table>
        <thead>
          <tr>
            <th align="left">Package</th>
            <th align="left">Vulnerability</th>
            <th align="left">Severity</th>
            <th align="left">Fixed in</th>
            <th align="left">Due</th>
          </tr>
        </thead>
        <tbody>
          {email.findings.map((f) => (
            <tr key={`${f.vulnId} ${f.name} ${f.version}`}>
              <td>
                {f.name}@{f.version} ({f.ecosystem})
              </td>
              <td>{f.vulnId}</td>
              <td>{f.severity}</td>
              <td>{f.fixedVersion ?? '—'}</td>
              <td>{due(f)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {email.more > 0 ? <p>… and {email.more} more.</p> : null}
      <p>
        <a href={email.findingsUrl}>Triage them after signing in</a>.
      </p>
    </>,
  );
  return { subject, text, html };
}
