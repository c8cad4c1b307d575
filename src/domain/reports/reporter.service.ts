import { HOUR_MS, iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { queueEmail } from '../../mail/outbox.js';
import type { Actor } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { hashToken } from '../ids.js';
import { addressKey, hit } from '../instance/rate-limit.service.js';
import type { Project } from '../projects/projects.js';
import { getProjectById, listMembers } from '../projects/projects.service.js';
import { type AttachmentInput, checkAttachments } from './attachments.js';
import { LIMITS, requiredText } from './intake-input.js';
import { teamReportUrl } from './links.js';
import { nextStatus } from './report-state.js';
import type { AttachmentMeta, Report, ReportEntry } from './reports.js';
import {
  findReportById,
  findReportByStatusTokenHash,
  insertAttachment,
  insertEntry,
  listEntries,
  readAttachment,
  updateReport,
} from './reports.repository.js';

/** What the holder of a status link sees: their report, and the public timeline only. */
export interface ReporterView {
  report: Report;
  project: Pick<Project, 'slug' | 'name' | 'ackTargetHours'>;
  /** Public entries, oldest first; team members appear as "the team", without their names. */
  entries: ReportEntry[];
  attachments: AttachmentMeta[];
}

// Tokens are 43 base64url characters; anything else is refused without a lookup.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32,64}$/;

/** The report a status token opens, or STATUS_TOKEN_INVALID (saying nothing about why). */
export async function reportForToken(db: DbOrTrx, token: string): Promise<Report> {
  const report = TOKEN_SHAPE.test(token) ? await findReportByStatusTokenHash(db, hashToken(token)) : undefined;
  if (!report) throw new DomainError('STATUS_TOKEN_INVALID');
  return report;
}

/** The actor a status link stands for, for the policy checks of the status routes. */
export function reporterActor(report: Report): Extract<Actor, { kind: 'reporter' }> {
  return { kind: 'reporter', reportId: report.id, projectId: report.projectId };
}

async function projectOf(db: DbOrTrx, report: Report): Promise<Project> {
  const project = await getProjectById(db, report.projectId);
  if (!project) throw new Error('a report without its project');
  return project;
}

export async function getReporterView(db: DbOrTrx, token: string): Promise<ReporterView> {
  const report = await reportForToken(db, token);
  const project = await projectOf(db, report);
  const entries = (await listEntries(db, report.id, { includeInternal: false })).map((e) => ({
    ...e,
    authorName: null,
  }));
  return {
    report,
    project: { slug: project.slug, name: project.name, ackTargetHours: project.ackTargetHours },
    entries,
    attachments: entries.flatMap((e) => e.attachments),
  };
}

/** A file the reporter (holding `report`'s token) may download: one of its public entries, else NOT_FOUND. */
export async function readReporterAttachment(db: DbOrTrx, report: Report, attachmentId: string) {
  const file = await readAttachment(db, { reportId: report.id, attachmentId, includeInternal: false });
  if (!file) throw new DomainError('NOT_FOUND');
  return file;
}

/**
 * Counts one reply against the report's and the sender's hourly allowance, or RATE_LIMITED: every
 * reply is stored (with up to 50 MB of files) and emailed to every member, so a status link must
 * not be a way to fill the disk or the team's mailboxes. Counted in the caller's transaction, so
 * a refused reply uses up nothing.
 */
async function spendReplyAllowance(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  report: Report,
  origin: RequestOrigin,
): Promise<void> {
  const { perReportPerHour, perAddressPerHour } = deps.config.replies;
  const rules = [{ bucket: `reply:report:${report.id}`, limit: perReportPerHour, windowMs: HOUR_MS }];
  if (origin.ip) {
    rules.push({ bucket: `reply:address:${addressKey(origin.ip)}`, limit: perAddressPerHour, windowMs: HOUR_MS });
  }
  for (const rule of rules) {
    const result = await hit(trx, deps.clock, rule);
    if (!result.allowed) {
      throw new DomainError('RATE_LIMITED', 'Too many messages for now; please try again later.', {
        retryAfterSeconds: result.retryAfterSeconds,
      });
    }
  }
}

export interface ReporterMessageInput {
  token: string;
  body: string;
  attachments?: readonly AttachmentInput[];
  origin: RequestOrigin;
}

/**
 * The reporter writes to the team. Allowed in every state, closed included (a reporter may contest
 * a closure), except after a spam closure: REPLIES_CLOSED. A reply to "needs more information"
 * moves the report back to acknowledged.
 */
export async function addReporterMessage(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: ReporterMessageInput,
): Promise<{ report: Report; entryId: string }> {
  const report = await reportForToken(trx, input.token);
  return postReporterMessage(trx, deps, { ...input, report });
}

/**
 * As addReporterMessage, for a report the caller already identified (by its status link, or by
 * mail to its reply address). `entryDetail` is kept on the message entry (e.g. `{ via: 'email' }`).
 */
export async function postReporterMessage(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: Omit<ReporterMessageInput, 'token'> & { report: Report; entryDetail?: Record<string, unknown> | null },
): Promise<{ report: Report; entryId: string }> {
  const { report } = input;
  if (report.status === 'closed' && report.closeReason === 'spam') throw new DomainError('REPLIES_CLOSED');
  const body = requiredText('body', 'A message', input.body, LIMITS.message);
  const files = checkAttachments(deps.config, input.attachments ?? []);
  await spendReplyAllowance(trx, deps, report, input.origin);

  const at = iso(deps.clock.now());
  const entryId = await insertEntry(trx, {
    reportId: report.id,
    kind: 'message',
    visibility: 'public',
    authorKind: 'reporter',
    body,
    detail: input.entryDetail ?? null,
    createdAt: at,
  });
  for (const file of files) await insertAttachment(trx, { reportId: report.id, entryId, file, createdAt: at });

  const from = report.status;
  let to = from;
  await updateReport(trx, report.id, { last_activity_at: at, updated_at: at });
  if (from === 'needs_info') {
    const next = nextStatus(from, 'info_provided', { wasAcknowledged: report.acknowledgedAt !== null });
    // Guarded: if the team moved the report meanwhile, their state stands and the reply is just a message.
    if (await updateReport(trx, report.id, { status: next }, { ifStatus: from })) to = next;
  }
  if (to !== from) {
    await insertEntry(trx, {
      reportId: report.id,
      kind: 'status',
      visibility: 'public',
      authorKind: 'system',
      statusFrom: from,
      statusTo: to,
      detail: { action: 'info_provided' },
      createdAt: at,
    });
  }

  const actor = reporterActor(report);
  await recordAudit(trx, deps.clock, {
    actor,
    origin: input.origin,
    projectId: report.projectId,
    action: 'report.reporter_replied',
    subjectType: 'report',
    subjectId: report.id,
    detail: {
      trackingId: report.trackingId,
      attachments: files.length,
      from,
      to,
      ...(typeof input.entryDetail?.via === 'string' ? { via: input.entryDetail.via } : {}),
    },
  });
  const project = await projectOf(trx, report);
  for (const member of await listMembers(trx, project.id, { activeOnly: true })) {
    await queueEmail(trx, deps, {
      to: member.email,
      projectId: project.id,
      reportId: report.id,
      email: {
        template: 'team-reporter-replied',
        projectName: project.name,
        trackingId: report.trackingId,
        reportUrl: teamReportUrl(deps.config, project.slug, report.id),
      },
    });
  }
  const updated = await findReportById(trx, report.id);
  if (!updated) throw new Error('report vanished inside its own transaction');
  return { report: updated, entryId };
}
