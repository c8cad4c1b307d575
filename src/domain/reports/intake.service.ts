import { addMs, HOUR_MS, iso } from '../../clock.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { queueEmail } from '../../mail/outbox.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { hashToken, newId, newSecretToken, newTrackingId } from '../ids.js';
import { addressKey, hit } from '../instance/rate-limit.service.js';
import { listMembers, requireProject } from '../projects/projects.service.js';
import { type AttachmentInput, checkAttachments } from './attachments.js';
import { checkReportInput, type ReportInput } from './intake-input.js';
import { statusUrl, teamReportUrl } from './links.js';
import type { Report } from './reports.js';
import { findReportById, insertAttachment, insertEntry, insertReport } from './reports.repository.js';

export type { ReportInput } from './intake-input.js';

export interface SubmitContext {
  projectSlug: string;
  source: 'web' | 'api' | 'email';
  origin: RequestOrigin;
  /** Kept on the 'submitted' timeline entry, e.g. `{ via: 'email', encrypted, signature }`. */
  entryDetail?: Record<string, unknown> | null;
}

export type IntakeDeps = Pick<Deps, 'clock' | 'config'>;

/**
 * Files a new report: checks everything first (honeypot, fields, files, then the sender's hourly
 * allowance), then writes the report, its first timeline entry, its files, the audit record and the
 * notification emails in the caller's transaction. The status token is returned once and stored
 * only as a hash.
 */
export async function submitReport(
  trx: Trx,
  deps: IntakeDeps,
  input: ReportInput & { attachments?: readonly AttachmentInput[] },
  ctx: SubmitContext,
): Promise<{ report: Report; statusToken: string }> {
  if (input.honeypot?.trim()) throw new DomainError('SPAM_SUSPECTED');
  const project = await requireProject(trx, ctx.projectSlug);
  const fields = checkReportInput(input);
  const files = checkAttachments(deps.config, input.attachments ?? []);

  // Counted in this transaction, so a submission refused for any reason leaves the count as it was.
  if (ctx.origin.ip) {
    const limit = await hit(trx, deps.clock, {
      bucket: `intake:${addressKey(ctx.origin.ip)}`,
      limit: deps.config.intake.perAddressPerHour,
      windowMs: HOUR_MS,
    });
    if (!limit.allowed) {
      throw new DomainError('RATE_LIMITED', 'Too many reports from your address; please try again later.', {
        retryAfterSeconds: limit.retryAfterSeconds,
      });
    }
  }

  const now = deps.clock.now();
  const at = iso(now);
  const statusToken = newSecretToken();
  const id = newId();
  const trackingId = newTrackingId();
  await insertReport(trx, {
    id,
    project_id: project.id,
    tracking_id: trackingId,
    status_token_hash: hashToken(statusToken),
    source: ctx.source,
    title: fields.title,
    description: fields.description,
    affected_versions: fields.affectedVersions,
    reproduction: fields.reproduction,
    impact: fields.impact,
    reporter_name: fields.reporterName,
    reporter_email: fields.reporterEmail,
    credit: fields.credit,
    status: 'new',
    close_reason: null,
    duplicate_of_id: null,
    case_id: null,
    received_at: at,
    ack_due_at: iso(addMs(now, project.ackTargetHours * HOUR_MS)),
    acknowledged_at: null,
    closed_at: null,
    last_activity_at: at,
    updated_at: at,
  });
  const entryId = await insertEntry(trx, {
    reportId: id,
    kind: 'submitted',
    visibility: 'public',
    authorKind: 'reporter',
    statusTo: 'new',
    detail: ctx.entryDetail ?? null,
    createdAt: at,
  });
  for (const file of files) await insertAttachment(trx, { reportId: id, entryId, file, createdAt: at });

  await recordAudit(trx, deps.clock, {
    actor: { kind: 'reporter', reportId: id, projectId: project.id },
    origin: ctx.origin,
    projectId: project.id,
    action: 'report.submitted',
    subjectType: 'report',
    subjectId: id,
    detail: { trackingId, source: ctx.source, attachments: files.length },
  });

  const report = await findReportById(trx, id);
  if (!report) throw new Error('report vanished inside its own transaction');
  if (report.reporterEmail) {
    await queueEmail(trx, deps, {
      to: report.reporterEmail,
      projectId: project.id,
      reportId: id,
      email: {
        template: 'report-received',
        projectName: project.name,
        trackingId,
        statusUrl: statusUrl(deps.config, statusToken),
        ackTargetHours: project.ackTargetHours,
      },
    });
  }
  for (const member of await listMembers(trx, project.id, { activeOnly: true })) {
    await queueEmail(trx, deps, {
      to: member.email,
      projectId: project.id,
      reportId: id,
      email: {
        template: 'team-new-report',
        projectName: project.name,
        trackingId,
        reportUrl: teamReportUrl(deps.config, project.slug, id),
        ackDueAt: report.ackDueAt,
      },
    });
  }
  return { report, statusToken };
}
