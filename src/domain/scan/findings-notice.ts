import { iso } from '../../clock.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { queueEmail } from '../../mail/outbox.js';
import { listMembers } from '../projects/projects.service.js';
import { setNotified, unnotifiedFindings } from './findings.repository.js';

// The new findings of an evaluation, told once to the project's members: the findings nobody was
// told of are marked in the same transaction as the emails are queued, so a second evaluation (or
// a second worker) finds none left, and a rolled-back evaluation leaves them to the next one.

/** A mail lists this many findings at most, then says how many more there are. */
export const FINDINGS_LISTED_PER_EMAIL = 50;

export async function notifyNewFindings(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  branch: { id: string; name: string; project_id: string; slug: string; project_name: string },
): Promise<number> {
  const fresh = await unnotifiedFindings(trx, branch.id);
  if (fresh.length === 0) return 0;
  const findingsUrl = new URL(`/p/${branch.slug}/dependencies`, deps.config.publicUrl).toString();
  const listed = fresh.slice(0, FINDINGS_LISTED_PER_EMAIL).map((f) => ({
    ecosystem: f.ecosystem,
    name: f.name,
    version: f.version,
    vulnId: f.vuln_id,
    severity: f.severity,
    fixedVersion: f.fixed_version,
    dueAt: f.due_at,
  }));
  // Disabled accounts are left out: their access was withdrawn. Nobody to tell still marks them
  // told, so a member added later is not sent old news as new.
  for (const member of await listMembers(trx, branch.project_id, { activeOnly: true })) {
    await queueEmail(trx, deps, {
      to: member.email,
      projectId: branch.project_id,
      reportId: null,
      email: {
        template: 'findings-new',
        projectName: branch.project_name,
        branchName: branch.name,
        findingsUrl,
        findings: listed,
        more: fresh.length - listed.length,
      },
    });
  }
  await setNotified(
    trx,
    fresh.map((f) => f.id),
    iso(deps.clock.now()),
  );
  return fresh.length;
}
