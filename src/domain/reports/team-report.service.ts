import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import type { Actor } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { findCaseNumber } from '../cases/cases.service.js';
import type { Project } from '../projects/projects.js';
import { DEFAULT_ACK_TEMPLATE, renderAckTemplate } from './ack-template.js';
import { allowedActions, type ReportAction } from './report-state.js';
import type { AttachmentMeta, Report, ReportEntry } from './reports.js';
import { listAttachments, listEntries, readAttachment, toReport } from './reports.repository.js';
import { trackingIdOf } from './triage.repository.js';
import { requireTeamReportRow } from './triage.service.js';

/** Everything the team's report page shows. */
export interface TeamReportView {
  report: Report;
  /** The whole timeline, internal notes included (each marked by its `visibility`). */
  entries: ReportEntry[];
  attachments: AttachmentMeta[];
  duplicateOf: { id: string; trackingId: string } | null;
  caseNumber: number | null;
  /** The state changes the report allows now; the page offers exactly these. */
  allowedActions: ReportAction[];
}

export interface TeamReadInput {
  actor: Actor;
  origin: RequestOrigin;
  projectId: string;
  /** The report's id or tracking id. */
  reportId: string;
}

/**
 * A report as the team sees it. Every call records `report.viewed` in the caller's transaction:
 * each read of embargoed content is audited, and the record commits with the read.
 */
export async function getReportForTeam(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: TeamReadInput,
): Promise<TeamReportView> {
  const row = await requireTeamReportRow(trx, input);
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: row.project_id,
    action: 'report.viewed',
    subjectType: 'report',
    subjectId: row.id,
  });
  const report = toReport(row);
  const duplicateTrackingId = report.duplicateOfId ? await trackingIdOf(trx, report.duplicateOfId) : undefined;
  const caseNumber = report.caseId ? await findCaseNumber(trx, report.projectId, report.caseId) : undefined;
  return {
    report,
    entries: await listEntries(trx, row.id, { includeInternal: true }),
    attachments: await listAttachments(trx, row.id, { includeInternal: true }),
    duplicateOf:
      report.duplicateOfId && duplicateTrackingId
        ? { id: report.duplicateOfId, trackingId: duplicateTrackingId }
        : null,
    caseNumber: caseNumber ?? null,
    allowedActions: allowedActions(report.status),
  };
}

/** An attachment's bytes for a team member, audited like any read of the report. */
export async function getAttachmentForTeam(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: TeamReadInput & { attachmentId: string },
): Promise<{ filename: string; size: number; content: Buffer }> {
  const row = await requireTeamReportRow(trx, input);
  const file = await readAttachment(trx, { reportId: row.id, attachmentId: input.attachmentId, includeInternal: true });
  if (!file) throw new DomainError('NOT_FOUND', 'No such attachment on this report.');
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: row.project_id,
    action: 'report.attachment_downloaded',
    subjectType: 'report',
    subjectId: row.id,
    detail: { attachmentId: file.meta.id, sha256: file.meta.sha256 },
  });
  return { filename: file.meta.filename, size: file.meta.size, content: file.content };
}

/** The acknowledgement the form starts from: the project's template (or the default), filled in. */
export function ackDraft(project: Pick<Project, 'name' | 'ackTemplate'>, report: Report): string {
  return renderAckTemplate(project.ackTemplate ?? DEFAULT_ACK_TEMPLATE, {
    reporterName: report.reporterName,
    projectName: project.name,
    trackingId: report.trackingId,
  });
}
