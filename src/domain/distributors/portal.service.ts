import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import type { Actor } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import type { DistributorMessageKind, NoticeSnapshot } from './distributors.js';
import { acceptanceRows, findNoticeRow, type NoticeRow } from './distributors.repository.js';
import { type PortalNotice, portalNotices } from './notices.service.js';
import {
  findDistributorProject,
  findEmbargoReleaseAt,
  findNoticeContextRow,
  findPatchFile,
  messageRowsOfUser,
  organisationRowsOfUser,
  publishedAdvisoryRefs,
  recipientRowsOfUser,
} from './portal.repository.js';
import { getProgram } from './program.service.js';

// The distributor portal: what a contact sees of the notices sent to their own organisations. A
// notice row exists only once it was sent, so nothing shows before the notice day. Callers check
// 'distributor.portal' (the list) or 'distributor.notice.read' with `noticeSubject` (a notice);
// every read of a notice's advisory draft or patches is audited here, with ids only.

type UserActor = Extract<Actor, { kind: 'user' }>;

/** One of the user's organisations, with its standing on the programme's current terms. */
export interface PortalOrganisation {
  distributorId: string;
  distributorName: string;
  projectId: string;
  projectName: string;
  projectSlug: string;
  termsVersion: number;
  acceptedCurrentTerms: boolean;
  /** When the current version was (last) accepted, or null. */
  acceptedAt: string | null;
  /** The latest acceptance of any version, or null. */
  lastAcceptance: { termsVersion: number; acceptedAt: string } | null;
}

/** A row of the portal's list: numbers, names and times, with this user's acknowledgement. */
export interface PortalListEntry extends Omit<PortalNotice, 'snapshot'> {
  /** When this user acknowledged (their first recipient row to be), or null. */
  acknowledgedAt: string | null;
}

/** A notice as the portal shows it to one of its recipients. */
export interface PortalNoticeView extends PortalNotice {
  /** The public advisory once the case is published, else null. */
  advisoryUrl: string | null;
  /** The release time as it stands: moves are mailed to every recipient (the snapshot keeps the first). */
  releaseAt: string;
  embargoBroken: boolean;
  recipients: { id: string; email: string; acknowledgedAt: string | null; acknowledgedBy: string | null }[];
  messages: { kind: DistributorMessageKind; at: string }[];
}

export const advisoryPath = (projectSlug: string, publicId: string) =>
  `/p/${encodeURIComponent(projectSlug)}/advisories/${encodeURIComponent(publicId)}`;

/** The distributors the user is a live contact of, with the terms status of each. */
export async function portalOrganisations(db: DbOrTrx, userId: string): Promise<PortalOrganisation[]> {
  const rows = await organisationRowsOfUser(db, userId);
  const acceptances = await acceptanceRows(
    db,
    rows.map((r) => r.distributor_id),
  );
  const versions = new Map<string, number>();
  for (const projectId of new Set(rows.map((r) => r.project_id))) {
    versions.set(projectId, (await getProgram(db, projectId)).termsVersion);
  }
  return rows.map((r) => {
    const termsVersion = versions.get(r.project_id) ?? 1;
    // acceptanceRows is newest first.
    const own = acceptances.filter((a) => a.distributor_id === r.distributor_id);
    const current = own.find((a) => a.terms_version === termsVersion);
    const latest = own[0];
    return {
      distributorId: r.distributor_id,
      distributorName: r.distributor_name,
      projectId: r.project_id,
      projectName: r.project_name,
      projectSlug: r.project_slug,
      termsVersion,
      acceptedCurrentTerms: current !== undefined,
      acceptedAt: current?.accepted_at ?? null,
      lastAcceptance: latest ? { termsVersion: latest.terms_version, acceptedAt: latest.accepted_at } : null,
    };
  });
}

/** The policy subject of a distributor named in a URL; an unknown or removed one gives a subject nobody is admitted to. */
export async function distributorSubject(
  db: DbOrTrx,
  distributorId: string,
): Promise<{ projectId: string | null; distributorId: string }> {
  const row = await findDistributorProject(db, distributorId);
  return { projectId: row?.project_id ?? null, distributorId };
}

const firstAck = (rows: { acknowledged_at: string | null }[]): string | null =>
  rows
    .map((r) => r.acknowledged_at)
    .filter((a): a is string => a !== null)
    .sort()[0] ?? null;

/**
 * The notices sent to the user's organisations, newest first, with whether this user acknowledged
 * and whether the advisory is public. Not audited: it carries no embargoed text.
 */
export async function portalNoticeList(db: DbOrTrx, userId: string): Promise<PortalListEntry[]> {
  const notices = await portalNotices(db, userId);
  const recipients = await recipientRowsOfUser(
    db,
    userId,
    notices.map((n) => n.id),
  );
  const published = new Set(
    (await publishedAdvisoryRefs(db, [...new Set(notices.map((n) => n.caseId))])).map((a) => a.case_id),
  );
  return notices.map((n) => ({
    ...n,
    // Released once the advisory is public; a case closed without a release stays under embargo.
    released: published.has(n.caseId),
    acknowledgedAt: firstAck(recipients.filter((r) => r.notice_id === n.id)),
  }));
}

/** The policy subject's notice, parsed; NOT_FOUND when it does not exist. */
async function requireNotice(db: DbOrTrx, noticeId: string): Promise<NoticeRow & { parsed: NoticeSnapshot }> {
  const row = await findNoticeRow(db, noticeId);
  if (!row) throw new DomainError('NOT_FOUND', 'No such notice.');
  return { ...row, parsed: JSON.parse(row.snapshot) as NoticeSnapshot };
}

/** Reads a notice as sent, for one of its recipients: audited 'distributor.notice_viewed'. */
export async function portalNotice(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { actor: UserActor; origin: RequestOrigin; noticeId: string },
): Promise<PortalNoticeView> {
  const row = await findNoticeContextRow(trx, input.noticeId);
  if (!row) throw new DomainError('NOT_FOUND', 'No such notice.');
  const snapshot = JSON.parse(row.snapshot) as NoticeSnapshot;
  const [advisory] = await publishedAdvisoryRefs(trx, [row.case_id]);
  const recipients = await recipientRowsOfUser(trx, input.actor.userId, [row.id]);
  const messages = await messageRowsOfUser(trx, input.actor.userId, row.id);
  const releaseAt = (await findEmbargoReleaseAt(trx, row.case_id)) ?? snapshot.releaseAt;
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: row.project_id,
    action: 'distributor.notice_viewed',
    subjectType: 'case',
    subjectId: row.case_id,
    detail: { noticeId: row.id, distributorId: row.distributor_id },
  });
  return {
    id: row.id,
    projectId: row.project_id,
    projectSlug: row.project_slug,
    projectName: row.project_name,
    distributorId: row.distributor_id,
    distributorName: row.distributor_name,
    caseId: row.case_id,
    caseNumber: Number(row.case_number),
    released: advisory !== undefined,
    notifiedAt: row.notified_at,
    snapshot,
    advisoryUrl: advisory ? advisoryPath(row.project_slug, advisory.public_id) : null,
    releaseAt,
    embargoBroken: row.embargo_broken_at !== null,
    recipients: recipients.map((r) => ({
      id: r.id,
      email: r.email,
      acknowledgedAt: r.acknowledged_at,
      acknowledgedBy: r.acknowledged_by,
    })),
    messages: messages.map((m) => ({ kind: m.kind as DistributorMessageKind, at: m.created_at })),
  };
}

/** A patch of the notice: only one its snapshot lists (a later or unapproved patch is NOT_FOUND). No audit. */
export async function noticePatch(
  db: DbOrTrx,
  input: { noticeId: string; patchId: string },
): Promise<{ filename: string; content: Buffer }> {
  const notice = await requireNotice(db, input.noticeId);
  const missing = () => new DomainError('NOT_FOUND', 'No such patch in this notice.');
  if (!notice.parsed.patches.some((p) => p.id === input.patchId)) throw missing();
  const file = await findPatchFile(db, notice.case_id, input.patchId);
  if (!file) throw missing();
  return { filename: file.filename, content: Buffer.from(file.content, 'utf8') };
}

/** Downloads a patch of the notice: audited 'distributor.patch_downloaded'. */
export async function downloadNoticePatch(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { actor: UserActor; origin: RequestOrigin; noticeId: string; patchId: string },
): Promise<{ filename: string; content: Buffer }> {
  const file = await noticePatch(trx, input);
  const notice = await requireNotice(trx, input.noticeId);
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: notice.project_id,
    action: 'distributor.patch_downloaded',
    subjectType: 'case',
    subjectId: notice.case_id,
    detail: { noticeId: notice.id, distributorId: notice.distributor_id, patchId: input.patchId },
  });
  return file;
}
