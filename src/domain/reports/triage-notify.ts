import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { queueEmail } from '../../mail/outbox.js';
import { getProjectById } from '../projects/projects.service.js';
import type { CloseReason, ReportStatus } from './report-state.js';
import type { ReportRow } from './triage.repository.js';

export interface ReporterUpdate {
  /** The state after the change, or null for a plain message. */
  status: ReportStatus | null;
  closeReason: CloseReason | null;
  message: string | null;
}

/**
 * The link in every email after the first. Only the hash of a report's status token is stored, so
 * it cannot be put in later emails; keeping the raw token to do so would turn a database leak into
 * a leak of every reporter's conversation. The mail points to the generic /status page instead,
 * which tells the reporter to use the private link from their first email (the 'report-received'
 * one, which carries the token while it is still in memory).
 */
export function genericStatusUrl(publicUrl: URL): string {
  return `${publicUrl.href.replace(/\/+$/, '')}/status`;
}

/** Queues a 'reporter-update' email, in the caller's transaction, when the reporter gave an address. */
export async function notifyReporter(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  row: ReportRow,
  update: ReporterUpdate,
): Promise<void> {
  if (!row.reporter_email) return;
  const project = await getProjectById(trx, row.project_id);
  if (!project) return;
  await queueEmail(trx, deps, {
    to: row.reporter_email,
    projectId: row.project_id,
    reportId: row.id,
    email: {
      template: 'reporter-update',
      projectName: project.name,
      trackingId: row.tracking_id,
      statusUrl: genericStatusUrl(deps.config.publicUrl),
      status: update.status,
      closeReason: update.closeReason,
      message: update.message,
    },
  });
}
