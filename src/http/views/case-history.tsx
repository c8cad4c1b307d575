import type { CaseHistoryEntry } from '../../domain/severity/case-severity.js';
import { when } from './time.js';

// The case history as the case page shows it: every area of a case (severity, lifecycle, team,
// collaborators, affected versions, patches, embargo) writes entries; their wording lives here.

function valueText(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'string') return value;
  // A person ({ id, name }): their name.
  const person = value as { id?: unknown; name?: unknown };
  if (typeof value === 'object' && typeof person.id === 'string' && typeof person.name === 'string') {
    return person.name;
  }
  if (Array.isArray(value)) return value.map(valueText).join(', ') || 'none';
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== false)
      .map(([k, v]) =>
        v === true ? k : `${k}: ${Array.isArray(v) || typeof v === 'object' ? valueText(v) : String(v)}`,
      )
      .join(', ');
  }
  return String(value);
}

const changeWords: Record<string, string> = {
  'cvss.v3.1': 'CVSS 3.1',
  'cvss.v4.0': 'CVSS 4.0',
  'cvss.imported': 'Imported CVSS',
  ssvc: 'SSVC decision',
  exploitation: 'Exploitation context',
  'severity.effective': 'Effective severity',
  'cwe.added': 'CWE added',
  'cwe.removed': 'CWE removed',
  'reminder.sent': 'Owner reminded',
  state: 'State',
  'branch.status': 'Release branch status',
  'package.added': 'Affected package added',
  'package.removed': 'Affected package removed',
  'range.added': 'Version range added',
  'range.removed': 'Version range removed',
  'fix.lead': 'Fix Lead',
  'embargo.proposed': 'Embargo proposed, release planned for',
  'embargo.revised': 'Release moved',
  'collaborator.invited': 'Collaborator invited',
  'collaborator.revoked': "Collaborator's access revoked",
  'fix.team.added': 'Joined the Fix Team',
  'fix.team.removed': 'Left the Fix Team',
  'patch.uploaded': 'Patch uploaded',
  'patch.reviewed': 'Patch reviewed',
  'embargo.broken': 'Embargo broken',
  'advisory.draft': 'Advisory draft edited',
  'advisory.meta': 'Advisory ids and references edited',
  'advisory.cve': 'CVE id',
  'advisory.revised': 'Published advisory revised, revision',
  'advisory.withdrawn': 'Advisory withdrawn, revision',
  'advisory.cve_record': 'CVE record sent to CVE Services',
  'case.imported': 'Opened from an upstream advisory',
  'distributors.notified': 'Distributors notified',
  'distributors.prerelease': '24-hour notice sent to distributors',
  'announcement.fix_forthcoming': '"Fix forthcoming" notice published',
  'release.published': 'Released and published',
  'dependents.notified': 'Dependent projects told',
  'retrospective.drafted': 'Retrospective drafted',
  'retrospective.edited': 'Retrospective edited',
};

/** Changes that add or remove something: one value to show, not "before -> after". */
const ONE_VALUE = [
  'cwe.',
  'package.',
  'range.',
  'reminder.',
  'patch.',
  'collaborator.',
  'fix.team.',
  'embargo.proposed',
  'advisory.draft',
  'advisory.meta',
  'advisory.cve_record',
  'case.imported',
  'distributors.',
  'announcement.',
  'release.',
  'dependents.',
  'retrospective.',
];

/** The case history, newest first: what changed, from what to what, who and why. */
export function CaseHistoryList({ entries }: { entries: CaseHistoryEntry[] }) {
  return (
    <section id="history" aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      {entries.length === 0 ? (
        <p class="muted">No changes yet.</p>
      ) : (
        <ol class="timeline case-history">
          {entries.map((e) => (
            <li key={e.id}>
              <span class="meta">
                {when(e.at)} · {e.actorLabel}
              </span>
              <br />
              <strong>{changeWords[e.change] ?? e.change}</strong>
              {ONE_VALUE.some((prefix) => e.change.startsWith(prefix)) ? (
                <>: {valueText(e.value ?? e.previous)}</>
              ) : (
                <>
                  : <del>{valueText(e.previous)}</del> → <ins>{valueText(e.value)}</ins>
                </>
              )}
              {e.reason ? (
                <p class="reason">
                  {e.change === 'patch.reviewed' ? 'Comment' : 'Why'}: {e.reason}
                </p>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
