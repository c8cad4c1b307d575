import type { DbOrTrx } from '../../db/types.js';
import type { NoticeRow, RecipientRow } from './distributors.repository.js';

// The distributor portal's reads. Every query that starts from a user goes through their live
// contacts (not removed, of a distributor not removed): a removed contact reads nothing.

/** The distributors the user is a live contact of, with their project, by project then name. */
export async function organisationRowsOfUser(
  db: DbOrTrx,
  userId: string,
): Promise<
  { distributor_id: string; distributor_name: string; project_id: string; project_name: string; project_slug: string }[]
> {
  return db
    .selectFrom('distributor_contacts')
    .innerJoin('distributors', 'distributors.id', 'distributor_contacts.distributor_id')
    .innerJoin('projects', 'projects.id', 'distributors.project_id')
    .select([
      'distributors.id as distributor_id',
      'distributors.name as distributor_name',
      'projects.id as project_id',
      'projects.name as project_name',
      'projects.slug as project_slug',
    ])
    .where('distributor_contacts.user_id', '=', userId)
    .where('distributor_contacts.removed_at', 'is', null)
    .where('distributors.removed_at', 'is', null)
    .orderBy('projects.name')
    .orderBy('distributors.name')
    .orderBy('distributors.id')
    .execute();
}

/** The project of a distributor not removed, for the policy subject of a URL naming it. */
export async function findDistributorProject(
  db: DbOrTrx,
  distributorId: string,
): Promise<{ project_id: string } | undefined> {
  return db
    .selectFrom('distributors')
    .select('project_id')
    .where('id', '=', distributorId)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
}

/** A notice with the names around it and its case's number and state. */
export async function findNoticeContextRow(
  db: DbOrTrx,
  noticeId: string,
): Promise<
  | (NoticeRow & {
      distributor_name: string;
      project_name: string;
      project_slug: string;
      case_number: number;
      case_state: string;
      embargo_broken_at: string | null;
    })
  | undefined
> {
  return db
    .selectFrom('distributor_notices')
    .innerJoin('distributors', 'distributors.id', 'distributor_notices.distributor_id')
    .innerJoin('projects', 'projects.id', 'distributor_notices.project_id')
    .innerJoin('cases', 'cases.id', 'distributor_notices.case_id')
    .selectAll('distributor_notices')
    .select([
      'distributors.name as distributor_name',
      'projects.name as project_name',
      'projects.slug as project_slug',
      'cases.number as case_number',
      'cases.state as case_state',
      'cases.embargo_broken_at as embargo_broken_at',
    ])
    .where('distributor_notices.id', '=', noticeId)
    .executeTakeFirst();
}

/** The user's own recipient rows (through their live contacts) on the given notices. */
export async function recipientRowsOfUser(
  db: DbOrTrx,
  userId: string,
  noticeIds: readonly string[],
): Promise<RecipientRow[]> {
  if (noticeIds.length === 0) return [];
  return db
    .selectFrom('distributor_recipients')
    .innerJoin('distributor_contacts', 'distributor_contacts.id', 'distributor_recipients.contact_id')
    .selectAll('distributor_recipients')
    .where('distributor_recipients.notice_id', 'in', noticeIds)
    .where('distributor_contacts.user_id', '=', userId)
    .where('distributor_contacts.removed_at', 'is', null)
    .orderBy('distributor_recipients.email')
    .orderBy('distributor_recipients.id')
    .execute();
}

/** The messages sent to the user (through their live contacts) about one notice, oldest first. */
export async function messageRowsOfUser(
  db: DbOrTrx,
  userId: string,
  noticeId: string,
): Promise<{ recipient_id: string; kind: string; created_at: string }[]> {
  return db
    .selectFrom('distributor_messages')
    .innerJoin('distributor_recipients', 'distributor_recipients.id', 'distributor_messages.recipient_id')
    .innerJoin('distributor_contacts', 'distributor_contacts.id', 'distributor_recipients.contact_id')
    .select([
      'distributor_messages.recipient_id as recipient_id',
      'distributor_messages.kind as kind',
      'distributor_messages.created_at as created_at',
    ])
    .where('distributor_recipients.notice_id', '=', noticeId)
    .where('distributor_contacts.user_id', '=', userId)
    .where('distributor_contacts.removed_at', 'is', null)
    .orderBy('distributor_messages.created_at')
    .orderBy('distributor_messages.id')
    .execute();
}

/** The public ids of the published advisories of the given cases (nothing of their text). */
export async function publishedAdvisoryRefs(
  db: DbOrTrx,
  caseIds: readonly string[],
): Promise<{ case_id: string; public_id: string }[]> {
  if (caseIds.length === 0) return [];
  const rows = await db
    .selectFrom('advisories')
    .select(['case_id', 'public_id'])
    .where('case_id', 'in', caseIds)
    .where('published_at', 'is not', null)
    .where('public_id', 'is not', null)
    .execute();
  return rows.flatMap((r) => (r.public_id ? [{ case_id: r.case_id, public_id: r.public_id }] : []));
}

/** The release time of the case's embargo as it stands (moves are mailed to every recipient). */
export async function findEmbargoReleaseAt(db: DbOrTrx, caseId: string): Promise<string | undefined> {
  const row = await db.selectFrom('embargoes').select('release_at').where('case_id', '=', caseId).executeTakeFirst();
  return row?.release_at;
}

/** A patch file of the case: its name and content only. */
export async function findPatchFile(
  db: DbOrTrx,
  caseId: string,
  patchId: string,
): Promise<{ filename: string; content: string } | undefined> {
  return db
    .selectFrom('patches')
    .select(['filename', 'content'])
    .where('case_id', '=', caseId)
    .where('id', '=', patchId)
    .executeTakeFirst();
}
