import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { queueEmail } from '../../mail/outbox.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { getAdvisory } from '../advisories/advisories.service.js';
import type { Case } from '../cases/cases.js';
import { insertHistory } from '../cases/cases.repository.js';
import { casePatches, getPatch } from '../cases/patches.service.js';
import { hashToken, newId, newSecretToken } from '../ids.js';
import { getProjectById } from '../projects/projects.service.js';
import { caseFacts } from '../release/case-facts.js';
import type { DistributorMessageKind, DistributorNotice, NoticeRecipient, NoticeSnapshot } from './distributors.js';
import {
  findNoticeRow,
  findRecipientByTokenHash,
  insertMessageRowOnce,
  insertNoticeRow,
  insertRecipientRow,
  liveRecipientRowsOfCase,
  markRecipientAcknowledged,
  messageRowsOfCase,
  type NoticeRow,
  noticeRowsForContact,
  noticeRowsOfCase,
  recipientRowsOfNotices,
} from './distributors.repository.js';
import { listDistributors } from './distributors.service.js';
import { getProgram } from './program.service.js';

// What distributors are sent about a case, and their acknowledgements. A notice is one distributor's
// copy (a snapshot of the advisory draft and the patches); each of its contacts gets their own mail
// with the patches attached, encrypted to their key when they gave one, and a one-time link to
// acknowledge receipt. Later changes (the release moves, is a day away, happened, the embargo
// broke) go to every recipient once each (distributor_messages' dedupe key). Everything here runs in
// the caller's transaction, under the case's lock, so the mail exists exactly when the change commits.

type NoticeDeps = Pick<Deps, 'clock' | 'config'>;

const base = (deps: Pick<Deps, 'config'>) => deps.config.publicUrl.href.replace(/\/+$/, '');
export const noticeUrl = (deps: Pick<Deps, 'config'>, noticeId: string) =>
  `${base(deps)}/distributor/notices/${noticeId}`;

/** The advisory draft and the approved patches as they stand, for a notice. */
async function snapshotOf(db: DbOrTrx, deps: NoticeDeps, theCase: Case, releaseAt: string) {
  const advisory = await getAdvisory(db, theCase);
  const facts = await caseFacts(db, theCase, deps.clock.now());
  const approved = (await casePatches(db, theCase.id)).filter((b) => b.latest.status === 'approved');
  const patches = await Promise.all(approved.map((b) => getPatch(db, theCase, b.latest.id)));
  const snapshot: NoticeSnapshot = {
    caseNumber: theCase.number,
    releaseAt,
    severity: facts.severity,
    advisory: {
      summary: advisory.summary,
      details: advisory.details,
      affected: advisory.affected,
      howToCheck: advisory.howToCheck,
      upgrade: advisory.upgrade,
      mitigations: advisory.mitigations,
      detection: advisory.detection,
      credits: advisory.credits,
    },
    affectedVersions: facts.affectedVersions,
    fixedVersions: facts.fixedVersions,
    patches: patches.map((p) => ({ id: p.id, branchName: p.branchName, filename: p.filename, sha256: p.sha256 })),
  };
  const attachments = patches.map((p) => ({ filename: p.filename, contentType: 'text/x-diff', content: p.content }));
  return { snapshot, attachments };
}

/**
 * Sends the notice to every distributor of the project that accepted the current terms, has a
 * contact, and was not told of this case yet. Returns how many distributors and recipients it
 * reached (0 and 0 when none qualifies). For the distributor-notice step and "notify the
 * distributors not told yet"; the caller holds the case's lock.
 */
export async function notifyDistributors(
  trx: Trx,
  deps: NoticeDeps,
  input: { actor: Actor; origin: RequestOrigin; theCase: Case; releaseAt: string },
): Promise<{ distributors: number; recipients: number }> {
  const { theCase } = input;
  const told = new Set((await noticeRowsOfCase(trx, theCase.id)).map((n) => n.distributor_id));
  const eligible = (await listDistributors(trx, theCase.projectId)).filter(
    (d) => d.acceptedCurrentTerms && d.contacts.length > 0 && !told.has(d.id),
  );
  if (eligible.length === 0) return { distributors: 0, recipients: 0 };
  const program = await getProgram(trx, theCase.projectId);
  const project = await getProjectById(trx, theCase.projectId);
  const { snapshot, attachments } = await snapshotOf(trx, deps, theCase, input.releaseAt);
  const at = iso(deps.clock.now());
  let recipients = 0;
  for (const distributor of eligible) {
    const noticeId = newId();
    await insertNoticeRow(trx, {
      id: noticeId,
      case_id: theCase.id,
      project_id: theCase.projectId,
      distributor_id: distributor.id,
      notified_at: at,
      snapshot: JSON.stringify(snapshot),
    });
    const keys = new Map(
      (
        await trx
          .selectFrom('distributor_contacts')
          .select(['id', 'pgp_key'])
          .where('distributor_id', '=', distributor.id)
          .execute()
      ).map((c) => [c.id, c.pgp_key]),
    );
    for (const contact of distributor.contacts) {
      const token = newSecretToken();
      const recipientId = newId();
      await insertRecipientRow(trx, {
        id: recipientId,
        notice_id: noticeId,
        contact_id: contact.id,
        email: contact.email,
        ack_token_hash: hashToken(token),
        acknowledged_at: null,
        acknowledged_by: null,
      });
      const key = keys.get(contact.id) ?? null;
      const emailId = await queueEmail(trx, deps, {
        to: contact.email,
        projectId: theCase.projectId,
        reportId: null,
        attachments,
        ...(key ? { encryptToKey: key } : {}),
        email: {
          template: 'distributor-notice',
          projectName: project?.name ?? 'the project',
          distributorName: distributor.name,
          termsVersion: program.termsVersion,
          snapshot,
          ackUrl: `${base(deps)}/distributor/ack/${token}`,
          noticeUrl: noticeUrl(deps, noticeId),
          contact: project?.securityContact ?? null,
        },
      });
      await insertMessageRowOnce(trx, {
        id: newId(),
        recipient_id: recipientId,
        case_id: theCase.id,
        kind: 'notice',
        dedupe_key: 'notice',
        email_id: emailId,
        created_at: at,
      });
      recipients++;
    }
  }
  await insertHistory(trx, {
    id: newId(),
    case_id: theCase.id,
    project_id: theCase.projectId,
    at,
    actor_user_id: input.actor.kind === 'user' ? input.actor.userId : null,
    actor_label: actorLabel(input.actor),
    change: 'distributors.notified',
    previous: null,
    value: JSON.stringify({ distributors: eligible.map((d) => d.name), recipients }),
    reason: null,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: theCase.projectId,
    action: 'case.distributors_notified',
    subjectType: 'case',
    subjectId: theCase.id,
    detail: { number: theCase.number, distributorIds: eligible.map((d) => d.id), recipients },
  });
  return { distributors: eligible.length, recipients };
}

export interface DistributorMessage {
  kind: Exclude<DistributorMessageKind, 'notice'>;
  /** Makes the message once per recipient: 'prerelease:<release>', 'revision:<id>', 'released' ... */
  dedupeKey: string;
  releaseAt: string | null;
  previousReleaseAt?: string | null;
  reason?: string | null;
  advisoryUrl?: string | null;
}

/** Mails every live recipient of the case's notices a change, once each. Returns how many were mailed. */
export async function messageRecipients(
  trx: Trx,
  deps: NoticeDeps,
  input: { theCase: Pick<Case, 'id' | 'projectId' | 'number'>; message: DistributorMessage },
): Promise<number> {
  const { theCase, message } = input;
  const recipients = await liveRecipientRowsOfCase(trx, theCase.id);
  if (recipients.length === 0) return 0;
  const project = await getProjectById(trx, theCase.projectId);
  const at = iso(deps.clock.now());
  let sent = 0;
  for (const r of recipients) {
    const already = await trx
      .selectFrom('distributor_messages')
      .select('id')
      .where('recipient_id', '=', r.id)
      .where('dedupe_key', '=', message.dedupeKey)
      .executeTakeFirst();
    if (already) continue;
    const emailId = await queueEmail(trx, deps, {
      to: r.email,
      projectId: theCase.projectId,
      reportId: null,
      // The release is public: no need to encrypt what the advisory now says to everyone.
      ...(r.pgp_key && message.kind !== 'released' ? { encryptToKey: r.pgp_key } : {}),
      email: {
        template: 'distributor-update',
        projectName: project?.name ?? 'the project',
        distributorName: r.distributor_name,
        caseNumber: theCase.number,
        kind: message.kind,
        releaseAt: message.releaseAt,
        previousReleaseAt: message.previousReleaseAt ?? null,
        reason: message.reason ?? null,
        noticeUrl: noticeUrl(deps, r.notice_id),
        advisoryUrl: message.advisoryUrl ?? null,
      },
    });
    await insertMessageRowOnce(trx, {
      id: newId(),
      recipient_id: r.id,
      case_id: theCase.id,
      kind: message.kind,
      dedupe_key: message.dedupeKey,
      email_id: emailId,
      created_at: at,
    });
    sent++;
  }
  return sent;
}

function toNotice(row: NoticeRow & { distributor_name: string }, recipients: NoticeRecipient[]): DistributorNotice {
  const acks = recipients
    .map((r) => r.acknowledgedAt)
    .filter((a): a is string => a !== null)
    .sort();
  return {
    id: row.id,
    caseId: row.case_id,
    distributorId: row.distributor_id,
    distributorName: row.distributor_name,
    notifiedAt: row.notified_at,
    snapshot: JSON.parse(row.snapshot) as NoticeSnapshot,
    recipients,
    acknowledgedAt: acks[0] ?? null,
  };
}

/** Who received what about the case, and when they acknowledged. Embargoed: the caller audits the read. */
export async function caseNotices(db: DbOrTrx, caseId: string): Promise<DistributorNotice[]> {
  const notices = await noticeRowsOfCase(db, caseId);
  const recipients = await recipientRowsOfNotices(
    db,
    notices.map((n) => n.id),
  );
  const messages = await messageRowsOfCase(db, caseId);
  return notices.map((n) =>
    toNotice(
      n,
      recipients
        .filter((r) => r.notice_id === n.id)
        .map((r) => ({
          id: r.id,
          contactId: r.contact_id,
          email: r.email,
          acknowledgedAt: r.acknowledged_at,
          acknowledgedBy: r.acknowledged_by,
          messages: messages
            .filter((m) => m.recipient_id === r.id)
            .map((m) => ({
              kind: m.kind as DistributorMessageKind,
              at: m.created_at,
              emailId: m.email_id,
              emailStatus: m.email_status,
              encrypted: Number(m.encrypted) === 1,
            })),
        })),
    ),
  );
}

async function recordAck(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { recipientId: string; noticeId: string; by: string; actor: Actor; origin: RequestOrigin },
): Promise<boolean> {
  const notice = await findNoticeRow(trx, input.noticeId);
  if (!notice) throw new DomainError('NOT_FOUND', 'No such notice.');
  const changed = await markRecipientAcknowledged(trx, input.recipientId, { at: iso(deps.clock.now()), by: input.by });
  if (changed) {
    await recordAudit(trx, deps.clock, {
      actor: input.actor,
      origin: input.origin,
      projectId: notice.project_id,
      action: 'distributor.notice_acknowledged',
      subjectType: 'case',
      subjectId: notice.case_id,
      detail: { noticeId: notice.id, recipientId: input.recipientId, distributorId: notice.distributor_id },
    });
  }
  return changed;
}

/**
 * The recipient behind a one-time acknowledgement link, or SETUP_TOKEN_INVALID (a link that is
 * wrong); shows only what the acknowledgement page needs, nothing of the case.
 */
export async function ackLink(
  db: DbOrTrx,
  token: string,
): Promise<{
  recipientId: string;
  noticeId: string;
  email: string;
  acknowledgedAt: string | null;
  distributorName: string;
  projectName: string;
}> {
  const row = await findRecipientByTokenHash(db, hashToken(token));
  if (!row) throw new DomainError('SETUP_TOKEN_INVALID', 'This acknowledgement link is not valid.');
  const info = await db
    .selectFrom('distributor_notices')
    .innerJoin('distributors', 'distributors.id', 'distributor_notices.distributor_id')
    .innerJoin('projects', 'projects.id', 'distributor_notices.project_id')
    .select(['distributors.name as distributor_name', 'projects.name as project_name'])
    .where('distributor_notices.id', '=', row.notice_id)
    .executeTakeFirstOrThrow();
  return {
    recipientId: row.id,
    noticeId: row.notice_id,
    email: row.email,
    acknowledgedAt: row.acknowledged_at,
    distributorName: info.distributor_name,
    projectName: info.project_name,
  };
}

/** Acknowledges receipt with the one-time link of the mail (no sign-in needed). Returns whether it was new. */
export async function acknowledgeByLink(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { token: string; origin: RequestOrigin },
): Promise<boolean> {
  const link = await ackLink(trx, input.token);
  return recordAck(trx, deps, {
    recipientId: link.recipientId,
    noticeId: link.noticeId,
    by: `${link.email} (link in the notice)`,
    actor: { kind: 'anonymous' },
    origin: input.origin,
  });
}

/**
 * Acknowledges receipt as a signed-in contact in the portal (the caller checked
 * 'distributor.notice.read'): every recipient row of theirs on the notice.
 */
export async function acknowledgeAsContact(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { actor: Extract<Actor, { kind: 'user' }>; origin: RequestOrigin; noticeId: string },
): Promise<boolean> {
  const rows = await trx
    .selectFrom('distributor_recipients')
    .innerJoin('distributor_contacts', 'distributor_contacts.id', 'distributor_recipients.contact_id')
    .select(['distributor_recipients.id as id'])
    .where('distributor_recipients.notice_id', '=', input.noticeId)
    .where('distributor_contacts.user_id', '=', input.actor.userId)
    .where('distributor_contacts.removed_at', 'is', null)
    .execute();
  let changed = false;
  for (const r of rows) {
    changed =
      (await recordAck(trx, deps, {
        recipientId: r.id,
        noticeId: input.noticeId,
        by: `${input.actor.email} (portal)`,
        actor: input.actor,
        origin: input.origin,
      })) || changed;
  }
  return changed;
}

/** A notice in the portal: what was sent, to which distributor, and the case's public state. */
export interface PortalNotice {
  id: string;
  projectId: string;
  projectSlug: string;
  projectName: string;
  distributorId: string;
  distributorName: string;
  caseId: string;
  caseNumber: number;
  /** Whether the case is published (the embargo is over; a case closed without a release is not). */
  released: boolean;
  notifiedAt: string;
  snapshot: NoticeSnapshot;
}

/** The notices the user's organisations were sent, newest first (no audit: the list shows numbers and times only). */
export async function portalNotices(db: DbOrTrx, userId: string): Promise<Omit<PortalNotice, 'snapshot'>[]> {
  return (await noticeRowsForContact(db, userId)).map((r) => ({
    id: r.id,
    projectId: r.project_id,
    projectSlug: r.project_slug,
    projectName: r.project_name,
    distributorId: r.distributor_id,
    distributorName: r.distributor_name,
    caseId: r.case_id,
    caseNumber: Number(r.case_number),
    // The go clears the case's embargoed flag; a case closed without a release keeps it.
    released: Number(r.case_embargoed) === 0,
    notifiedAt: r.notified_at,
  }));
}

/** The policy subject of a notice named in a URL; an unknown id gives a subject nobody is admitted to. */
export async function noticeSubject(
  db: DbOrTrx,
  noticeId: string,
): Promise<{ projectId: string | null; distributorId?: string }> {
  const row = await findNoticeRow(db, noticeId);
  return row ? { projectId: row.project_id, distributorId: row.distributor_id } : { projectId: null };
}
