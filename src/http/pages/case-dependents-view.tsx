import type { DbOrTrx } from '../../db/types.js';
import type { Case } from '../../domain/cases/cases.js';
import type { CaseDependentAlert } from '../../domain/scan/dependents.js';
import { caseDependentAlerts } from '../../domain/scan/dependent-alerts.service.js';
import type { Actor } from '../../policies/actor.js';
import { can } from '../../policies/policy.js';
import { when } from '../views/time.js';

// The dependents told about a case's published advisory, on its release section: who (an outside
// subscriber's address masked), which registered package version, the fix they were pointed to,
// and when. Read in the case page's transaction, which audits the read; case.read decides.

/** The case's alerts, or [] for an actor who may not read the case. */
export async function loadCaseDependents(
  db: DbOrTrx,
  input: { actor: Actor; theCase: Pick<Case, 'id' | 'projectId'> },
): Promise<CaseDependentAlert[]> {
  const subject = { projectId: input.theCase.projectId, caseId: input.theCase.id };
  if (!can(input.actor, 'case.read', subject)) return [];
  return caseDependentAlerts(db, input.theCase.id);
}

export function CaseDependentsList({ alerts }: { alerts: CaseDependentAlert[] }) {
  if (alerts.length === 0) return null;
  return (
    <table class="case-dependents" data-case-dependents={alerts.length}>
      <thead>
        <tr>
          <th>Dependent</th>
          <th>Package</th>
          <th>Upgrade to</th>
          <th>Told</th>
        </tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <tr
            key={`${a.dependent} ${a.vulnId} ${a.ecosystem} ${a.packageName} ${a.version}`}
            data-dependent-kind={a.kind}
          >
            <td>{a.dependent}</td>
            <td>
              <code>
                {a.packageName}@{a.version === '' ? '(some version)' : a.version}
              </code>{' '}
              <span class="muted">{a.ecosystem}</span>
            </td>
            <td>{a.fixedVersion ?? <span class="muted">none known</span>}</td>
            <td>{when(a.toldAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
