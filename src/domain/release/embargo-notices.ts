import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { publishAnnouncement } from '../announcements/announcements.service.js';
import type { Case } from '../cases/cases.js';
import type { EmbargoRow } from '../cases/embargo.repository.js';
import { formatUtc } from '../cases/embargo-timeline.js';
import { messageRecipients } from '../distributors/notices.service.js';
import { getProjectById } from '../projects/projects.service.js';
import { announcementText, casePublicValues } from './announcement-text.js';

// Telling those already told: when an embargo's release moves, is called off or the embargo breaks,
// every distributor recipient of the case hears of it (with the team's reason: they are under the
// embargo), and when the "fix forthcoming" notice is already public, so does the public (without
// the reason: it may say what the bug is). In the caller's transaction, under the case's lock.

async function publicUpdate(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: {
    theCase: Case;
    row: EmbargoRow;
    dedupeKey: string;
    change: string;
    releaseAt: string;
    previousReleaseAt: string | null;
  },
): Promise<void> {
  if (!input.row.public_notice_done_at) return;
  const project = await getProjectById(trx, input.theCase.projectId);
  if (!project) return;
  const values = {
    ...(await casePublicValues(trx, deps, { project, theCase: input.theCase, releaseAt: input.releaseAt })),
    change: input.change,
    previousReleaseAt: input.previousReleaseAt ? formatUtc(new Date(input.previousReleaseAt)) : '',
  };
  const text = await announcementText(trx, { projectId: project.id, kind: 'update', values });
  await publishAnnouncement(trx, deps, {
    projectId: project.id,
    caseId: input.theCase.id,
    kind: 'update',
    dedupeKey: input.dedupeKey,
    subject: text.subject,
    body: text.body,
  });
}

/** The release moved (a revision): distributors told, and the public if it was told of the date. */
export async function announceRevision(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: { theCase: Case; before: EmbargoRow; releaseAt: string; reason: string; revisionId: string },
): Promise<void> {
  await messageRecipients(trx, deps, {
    theCase: input.theCase,
    message: {
      kind: 'revision',
      dedupeKey: `revision:${input.revisionId}`,
      releaseAt: input.releaseAt,
      previousReleaseAt: input.before.release_at,
      reason: input.reason,
    },
  });
  await publicUpdate(trx, deps, {
    theCase: input.theCase,
    row: input.before,
    dedupeKey: `revision:${input.revisionId}`,
    change: `The release of the security fix moves from ${formatUtc(new Date(input.before.release_at))} to ${formatUtc(new Date(input.releaseAt))}.`,
    releaseAt: input.releaseAt,
    previousReleaseAt: input.before.release_at,
  });
}

/** The go was called off before it started: the release is postponed until a new time is set. */
export async function announceCancelled(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: { theCase: Case; row: EmbargoRow; reason: string; at: string },
): Promise<void> {
  await messageRecipients(trx, deps, {
    theCase: input.theCase,
    message: {
      kind: 'cancelled',
      dedupeKey: `cancelled:${input.at}`,
      releaseAt: input.row.release_at,
      reason: input.reason,
    },
  });
  await publicUpdate(trx, deps, {
    theCase: input.theCase,
    row: input.row,
    dedupeKey: `cancelled:${input.at}`,
    change: `The security release planned for ${formatUtc(new Date(input.row.release_at))} is postponed. A new date will be announced.`,
    releaseAt: input.row.release_at,
    previousReleaseAt: null,
  });
}

/** The embargo broke: the release comes as soon as possible. */
export async function announceBroken(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: { theCase: Case; row: EmbargoRow | undefined; reason: string | null },
): Promise<void> {
  await messageRecipients(trx, deps, {
    theCase: input.theCase,
    message: { kind: 'broken', dedupeKey: 'broken', releaseAt: input.row?.release_at ?? null, reason: input.reason },
  });
  if (!input.row) return;
  await publicUpdate(trx, deps, {
    theCase: input.theCase,
    row: input.row,
    dedupeKey: 'broken',
    change: 'The embargo on this security fix ended early: the fix will be released as soon as possible.',
    releaseAt: input.row.release_at,
    previousReleaseAt: null,
  });
}
