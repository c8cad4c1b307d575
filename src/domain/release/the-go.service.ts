import { iso } from '../../clock.js';
import { failpoint } from '../../failpoints.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import type { Actor } from '../../policies/actor.js';
import { publishAdvisory } from '../advisories/advisories.service.js';
import { noOrigin } from '../audit/audit.js';
import { publishAnnouncement } from '../announcements/announcements.service.js';
import { transitionCase } from '../cases/case-transitions.service.js';
import type { Case } from '../cases/cases.js';
import { insertHistory, setCaseEmbargoed } from '../cases/cases.repository.js';
import { type EmbargoRow, updateEmbargoRow } from '../cases/embargo.repository.js';
import { messageRecipients } from '../distributors/notices.service.js';
import { newId } from '../ids.js';
import { enqueue } from '../outbox/outbox.js';
import { getProjectById } from '../projects/projects.service.js';
import { advisoryUrl, announcementText, releaseValues } from './announcement-text.js';
import { caseFacts } from './case-facts.js';
import { mailTeamOfStep } from './team-mail.js';
import { enqueueSteps } from './step-jobs.js';

/*
 * The go: at the release time, one transaction makes the case public. The case moves to published
 * (its history, audit, webhook event and the reporter's "published" news come with the move), the
 * case is no longer embargoed, the advisory gets its public id and is published, the release
 * announcement is published (its page and feed entry at once, every subscriber's copy by its
 * fan-out job), every distributor recipient is told, the dependents hook is enqueued and the Fix
 * Team is told. All of it commits together or not at all: a crash before the commit leaves the case
 * scheduled and the job runs again; after it, the job finds the release done and does nothing. So
 * the go happens exactly once, and nothing of the case is public before it.
 *
 * Cancelling the go (the case leaves 'scheduled': embargo.service cancelRelease) takes the case's
 * lock, as the go does: whichever comes first wins, and a cancel after the go's commit is refused.
 */

export const GO_ACTOR: Actor = { kind: 'system', label: 'the go' };

/** Runs the go for a scheduled case under its lock (steps.service.ts checked the job is current). */
export async function runTheGo(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: { theCase: Case; embargo: EmbargoRow },
): Promise<void> {
  const { theCase, embargo } = input;
  const project = await getProjectById(trx, theCase.projectId);
  if (!project) throw new DomainError('NOT_FOUND', 'No such project.');
  const now = deps.clock.now();
  const at = iso(now);
  await transitionCase(trx, deps, { actor: GO_ACTOR, origin: noOrigin, theCase, action: 'publish' });
  await setCaseEmbargoed(trx, theCase.id, false);
  const advisory = await publishAdvisory(trx, deps, { theCase, projectSlug: project.slug });
  const publicId = advisory.publicId ?? '';
  const facts = await caseFacts(trx, theCase, now);
  const text = await announcementText(trx, {
    projectId: project.id,
    kind: 'release',
    values: releaseValues(deps, { project, facts, releaseAt: embargo.release_at, advisory }),
  });
  await publishAnnouncement(trx, deps, {
    projectId: project.id,
    caseId: theCase.id,
    kind: 'release',
    dedupeKey: 'release',
    subject: text.subject,
    body: text.body,
  });
  await messageRecipients(trx, deps, {
    theCase,
    message: {
      kind: 'released',
      dedupeKey: 'released',
      releaseAt: at,
      advisoryUrl: advisoryUrl(deps, project.slug, publicId),
    },
  });
  await enqueue(trx, deps.clock, { kind: 'case.dependents', caseId: theCase.id });
  await updateEmbargoRow(trx, theCase.id, { released_at: at, updated_at: at });
  // The retrospective's job may have run before the go (a go retried after a crash runs late) and
  // found nothing released: it is enqueued again now; two of them draft once.
  await enqueueSteps(trx, deps, { ...embargo, released_at: at }, ['retrospective']);
  await insertHistory(trx, {
    id: newId(),
    case_id: theCase.id,
    project_id: theCase.projectId,
    at,
    actor_user_id: null,
    actor_label: 'the go',
    change: 'release.published',
    previous: null,
    value: JSON.stringify({ advisory: publicId }),
    reason: null,
  });
  await mailTeamOfStep(trx, deps, { theCase, step: 'published', count: null });
  failpoint('go.before-commit');
}
