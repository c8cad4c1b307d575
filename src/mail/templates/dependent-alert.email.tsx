import type { Email } from '../emails.js';
import { htmlBody, type RenderedEmail, subjectLine, textBody } from './email-layout.js';

type DependentAlert = Extract<Email, { template: 'dependent-alert' }>;
type Alert = DependentAlert['alerts'][number];

// Everything here is public already (published advisories and the dependent's own packages), so
// the mail may say it all: which package, which advisory, and the version to upgrade to.

const versionWords = (a: Alert) => (a.version === '' ? 'some version' : a.version);

function upgradeWords(a: Alert): string {
  if (a.fixedVersion) return `upgrade to ${a.fixedVersion} or later`;
  if (a.version === '' && a.knownFixes.length > 0) return `fixed in ${a.knownFixes.join(', ')}`;
  return 'no fixed version is known yet';
}

function line(a: Alert): string {
  return [
    `- ${a.packageName} ${versionWords(a)} (${a.ecosystem}): ${a.advisoryId}, ${a.summary}`,
    `  ${a.version === '' ? 'You depend on some version of it; ' : ''}${upgradeWords(a)}.`,
    `  ${a.advisoryUrl}`,
  ].join('\n');
}

/** To a dependent, once per batch of new alerts: each affected package with its advisory and fix. */
export function renderDependentAlert(email: DependentAlert): RenderedEmail {
  const n = email.alerts.length;
  const ids = [...new Set(email.alerts.map((a) => a.advisoryId))];
  const who = email.projectName ?? email.dependentName;
  const subject = subjectLine(
    `[${who}] ${ids.length === 1 ? (ids[0] ?? '') : `${ids.length} advisories`} affect${ids.length === 1 ? 's' : ''} a package you depend on`,
  );
  const intro = email.projectName
    ? `Packages registered as dependencies of ${email.projectName} are affected by ${n === 1 ? 'an advisory' : 'advisories'}:`
    : `Packages you registered as "${email.dependentName}" are affected by ${n === 1 ? 'an advisory' : 'advisories'}:`;
  const manage = email.projectName
    ? `The project's registrations: ${email.manageUrl}`
    : `See or replace your registrations, or unsubscribe: ${email.manageUrl}`;
  const text = textBody([intro, email.alerts.map(line).join('\n'), manage]);
  const html = htmlBody(
    subject,
    <>
      <p>{intro}</p>
      <ul>
        {email.alerts.map((a) => (
          <li key={`${a.advisoryId} ${a.packageName} ${a.version}`}>
            <strong>
              {a.packageName} {versionWords(a)}
            </strong>{' '}
            ({a.ecosystem}): <a href={a.advisoryUrl}>{a.advisoryId}</a>, {a.summary}.{' '}
            {a.version === '' ? 'You depend on some version of it; ' : ''}
            {upgradeWords(a)}.
          </li>
        ))}
      </ul>
      <p>
        {email.projectName ? (
          <a href={email.manageUrl}>The project's registrations</a>
        ) : (
          <>
            <a href={email.manageUrl}>See or replace your registrations, or unsubscribe</a>
          </>
        )}
      </p>
    </>,
  );
  return { subject, text, html };
}
