import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Email } from '../../mail/emails.js';
import { queueEmail } from '../../mail/outbox.js';
import type { Case } from '../cases/cases.js';
import { caseTeam } from '../cases/fix-team.service.js';
import { getProjectById } from '../projects/projects.service.js';

type Step = Extract<Email, { template: 'case-timeline' }>['step'];

/**
 * Tells the Fix Team (the lead included) and the case's owner that a step of the timeline was done:
 * one mail each, naming the case by number only.
 */
export async function mailTeamOfStep(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: { theCase: Pick<Case, 'id' | 'projectId' | 'number' | 'ownerId'>; step: Step; count: number | null },
): Promise<void> {
  const { theCase } = input;
  const team = await caseTeam(trx, theCase.id);
  const people = new Map<string, string>();
  for (const p of [...(team.lead ? [team.lead] : []), ...team.members]) people.set(p.id, p.email);
  if (theCase.ownerId && !people.has(theCase.ownerId)) {
    const owner = await trx
      .selectFrom('users')
      .select(['id', 'email', 'disabled'])
      .where('id', '=', theCase.ownerId)
      .executeTakeFirst();
    if (owner && owner.disabled === 0) people.set(owner.id, owner.email);
  }
  if (people.size === 0) return;
  const project = await getProjectById(trx, theCase.projectId);
  const caseUrl = `${deps.config.publicUrl.href.replace(/\/+$/, '')}/p/${project?.slug ?? ''}/cases/${theCase.number}`;
  for (const email of [...new Set(people.values())].sort()) {
    await queueEmail(trx, deps, {
      to: email,
      projectId: theCase.projectId,
      reportId: null,
      email: {
        template: 'case-timeline',
        projectName: project?.name ?? 'the project',
        caseNumber: theCase.number,
        caseUrl,
        step: input.step,
        count: input.count,
      },
    });
  }
}
