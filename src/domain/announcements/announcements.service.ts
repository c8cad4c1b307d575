import { iso } from '../../clock.js';
import { failpoint } from '../../failpoints.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { queueEmail } from '../../mail/outbox.js';
import { newId } from '../ids.js';
import { enqueue } from '../outbox/outbox.js';
import { getProjectById } from '../projects/projects.service.js';
import type { Announcement, AnnouncementKind } from './announcements.js';
import {
  type AnnouncementRow,
  announcementRows,
  announcementRowsOfCase,
  deliveredEmails,
  deliveryCount,
  findAnnouncementByKey,
  findAnnouncementRow,
  insertAnnouncementRow,
  insertDeliveryRow,
  lockAnnouncement,
  markFannedOut,
  pendingSubscriptionRows,
} from './announcements.repository.js';
import { unsubscribeUrl } from './lists.service.js';

// Publishing an announcement: the row (public at once: on the project's announcements page and its
// Atom feed) and a fan-out job, in the transaction of the change that causes it. The fan-out writes
// each subscriber's copy into the outbox in batches, each batch one transaction under the
// announcement's lock; a subscription gets its copy once (announcement_deliveries), an address on
// two lists once, and a crash in between only means the next run continues where this one stopped.

const BATCH = 200;

export function toAnnouncement(row: AnnouncementRow): Announcement {
  return {
    id: row.id,
    projectId: row.project_id,
    caseId: row.case_id,
    kind: row.kind as AnnouncementKind,
    subject: row.subject,
    body: row.body,
    publishedAt: row.published_at,
    fannedOutAt: row.fanned_out_at,
  };
}

const base = (deps: Pick<Deps, 'config'>) => deps.config.publicUrl.href.replace(/\/+$/, '');

export function announcementUrl(deps: Pick<Deps, 'config'>, projectSlug: string, id: string): string {
  return `${base(deps)}/p/${projectSlug}/announcements/${id}`;
}

/**
 * Publishes an announcement of a case once: a second call with the same `dedupeKey` returns the
 * first (the go and a timeline step may be run again after a crash). Enqueues its fan-out.
 */
export async function publishAnnouncement(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: {
    projectId: string;
    caseId: string;
    kind: AnnouncementKind;
    dedupeKey: string;
    subject: string;
    body: string;
  },
): Promise<Announcement> {
  const existing = await findAnnouncementByKey(trx, input);
  if (existing) return toAnnouncement(existing);
  const row: AnnouncementRow = {
    id: newId(),
    project_id: input.projectId,
    case_id: input.caseId,
    kind: input.kind,
    dedupe_key: input.dedupeKey,
    subject: input.subject,
    body: input.body,
    published_at: iso(deps.clock.now()),
    fanned_out_at: null,
  };
  await insertAnnouncementRow(trx, row);
  await enqueue(trx, deps.clock, { kind: 'announcement.fanout', announcementId: row.id });
  return toAnnouncement(row);
}

/**
 * Runs the fan-out of an announcement to completion (the announcement.fanout job); idempotent.
 * Returns how many copies this run queued. Subscribers who confirmed after the announcement was
 * published do not get it: the set of recipients is fixed by the publication time.
 */
export async function fanOutAnnouncement(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'secret'>,
  input: { announcementId: string; afterBatch?: (queued: number) => void },
): Promise<number> {
  let queued = 0;
  for (;;) {
    const done = await deps.db.transaction().execute(async (trx) => {
      await lockAnnouncement(trx, input.announcementId);
      const row = await findAnnouncementRow(trx, input.announcementId);
      if (!row || row.fanned_out_at) return true;
      const project = await getProjectById(trx, row.project_id);
      if (!project) return true;
      const batch = await pendingSubscriptionRows(trx, {
        announcementId: row.id,
        projectId: row.project_id,
        kind: row.kind,
        confirmedBy: row.published_at,
        limit: BATCH,
      });
      const now = iso(deps.clock.now());
      if (batch.length === 0) {
        await markFannedOut(trx, row.id, now);
        return true;
      }
      const already = await deliveredEmails(
        trx,
        row.id,
        batch.map((s) => s.email),
      );
      for (const sub of batch) {
        if (already.has(sub.email)) {
          // The address has a copy through another list: marked handled, with no email.
          await insertDeliveryRow(trx, {
            announcement_id: row.id,
            subscription_id: sub.id,
            email_id: '',
            created_at: now,
          });
          continue;
        }
        already.add(sub.email);
        const unsubscribe = unsubscribeUrl(deps, project.slug, sub.id);
        const host = deps.config.publicUrl.hostname;
        const emailId = await queueEmail(trx, deps, {
          to: sub.email,
          projectId: row.project_id,
          reportId: null,
          headers: {
            'List-Id': `${sub.list_name} <${sub.list_name}.${project.slug}.${host}>`,
            'List-Unsubscribe': `<${unsubscribe}>`,
            // RFC 8058: a POST to the link unsubscribes, with no page to click through.
            'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
            'List-Archive': `<${base(deps)}/p/${project.slug}/announcements>`,
            Precedence: 'list',
          },
          email: {
            template: 'announcement',
            projectName: project.name,
            listName: sub.list_name,
            subject: row.subject,
            body: row.body,
            announcementUrl: announcementUrl(deps, project.slug, row.id),
            unsubscribeUrl: unsubscribe,
          },
        });
        await insertDeliveryRow(trx, {
          announcement_id: row.id,
          subscription_id: sub.id,
          email_id: emailId,
          created_at: now,
        });
        queued++;
      }
      return false;
    });
    if (done) return queued;
    failpoint('fanout.after-batch');
    input.afterBatch?.(queued);
  }
}

/** The project's announcements, newest first: public. */
export async function listAnnouncements(db: DbOrTrx, projectId: string, limit = 50): Promise<Announcement[]> {
  return (await announcementRows(db, projectId, limit)).map(toAnnouncement);
}

/** One announcement of the project, or NOT_FOUND: public. */
export async function requireAnnouncement(db: DbOrTrx, projectId: string, id: string): Promise<Announcement> {
  const row = await findAnnouncementRow(db, id);
  if (!row || row.project_id !== projectId) throw new DomainError('NOT_FOUND', 'No such announcement.');
  return toAnnouncement(row);
}

/** The case's announcements with how many copies went out, for the case page. */
export async function caseAnnouncements(db: DbOrTrx, caseId: string): Promise<(Announcement & { copies: number })[]> {
  const rows = await announcementRowsOfCase(db, caseId);
  return Promise.all(rows.map(async (r) => ({ ...toAnnouncement(r), copies: await deliveryCount(db, r.id) })));
}
