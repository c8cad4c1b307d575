import type { DbOrTrx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { findReportForTrackingId } from './intake-addresses.repository.js';
import { projectForRecipient } from './intake-addresses.service.js';
import { parseReplyAddress } from './reply-address.js';

/** Where mail to one envelope recipient goes. */
export type Recipient =
  | { kind: 'intake'; address: string; projectId: string }
  | { kind: 'reply'; address: string; projectId: string; reportId: string };

export type RecipientDeps = Pick<Deps, 'config' | 'secret'> & { db: DbOrTrx };

/**
 * Routes one recipient: a project's intake address, or a valid reply address of an existing report
 * whose base (local part @ domain) is an intake address or uses the instance's mail domain.
 * Anything else is null: refused at RCPT time, so nothing is stored for an unknown address.
 */
export async function resolveRecipient(deps: RecipientDeps, raw: string): Promise<Recipient | null> {
  const address = raw.trim().toLowerCase();
  const projectId = await projectForRecipient(deps.db, address);
  if (projectId) return { kind: 'intake', address, projectId };

  const reply = parseReplyAddress(deps.secret, address);
  if (!reply) return null;
  const base = `${reply.localPart}@${reply.domain}`;
  if (reply.domain !== deps.config.mailIn.domain && !(await projectForRecipient(deps.db, base))) return null;
  const report = await findReportForTrackingId(deps.db, reply.trackingId);
  if (!report) return null;
  return { kind: 'reply', address, projectId: report.project_id, reportId: report.id };
}
