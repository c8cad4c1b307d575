import { iso } from '../../clock.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { queueEmail } from '../../mail/outbox.js';
import { getProjectById } from '../projects/projects.service.js';
import { insertEntry } from '../reports/reports.repository.js';
import { genericStatusUrl } from '../reports/triage-notify.js';
import { milestoneTold, reportersOfCase } from './cases.repository.js';

/** The milestones a reporter is told of, automatically, for the case their report became. */
export const CASE_MILESTONES = ['fix-team-formed', 'fix-ready', 'scheduled', 'published'] as const;
export type CaseMilestone = (typeof CASE_MILESTONES)[number];

/** What the reporter reads; no detail of the fix or its date beyond what they already know. */
export function milestoneWords(milestone: CaseMilestone, releaseAt: string | null): string {
  switch (milestone) {
    case 'fix-team-formed':
      return 'A Fix Team has formed and is working on a fix for the vulnerability you reported.';
    case 'fix-ready':
      return 'The fix is ready. Its release will be coordinated; we will tell you when it is scheduled.';
    case 'scheduled':
      return releaseAt
        ? `The release of the fix is scheduled for ${releaseAt.slice(0, 16).replace('T', ' ')} UTC. Please keep the details private until then.`
        : 'The release of the fix is scheduled. Please keep the details private until then.';
    case 'published':
      return 'The fix has been released and the advisory is public. Thank you for reporting it.';
  }
}

/**
 * Tells the reporters of every report accepted into the case of a milestone, in the caller's
 * transaction: an entry on their status page and, when they gave an address, an email.
 */
export async function notifyCaseProgress(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: { caseId: string; milestone: CaseMilestone; releaseAt?: string | null },
): Promise<void> {
  const at = iso(deps.clock.now());
  const body = milestoneWords(input.milestone, input.releaseAt ?? null);
  for (const report of await reportersOfCase(trx, input.caseId)) {
    // Each milestone is told once: a fix reopened and made ready again does not mail the reporter twice.
    if (await milestoneTold(trx, report.id, input.milestone)) continue;
    await insertEntry(trx, {
      reportId: report.id,
      kind: 'progress',
      visibility: 'public',
      authorKind: 'system',
      body,
      detail: { milestone: input.milestone },
      createdAt: at,
    });
    if (!report.reporter_email) continue;
    const project = await getProjectById(trx, report.project_id);
    if (!project) continue;
    await queueEmail(trx, deps, {
      to: report.reporter_email,
      projectId: report.project_id,
      reportId: report.id,
      email: {
        template: 'case-progress',
        projectName: project.name,
        trackingId: report.tracking_id,
        statusUrl: genericStatusUrl(deps.config.publicUrl),
        milestone: input.milestone,
        words: body,
      },
    });
  }
}
