import type { DbOrTrx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { findReportForTrackingId } from './intake-addresses.repository.js';
import { projectForRecipient } from './intake-addresses.service.js';
import { listMembers } from '../projects/projects.service.js';
import { memberReplyShape, parseMemberReplyAddress, parseReplyAddress } from './reply-address.js';

/** Where mail to one envelope recipient goes. */
export type Recipient =
  | { kind: 'intake'; address: string; projectId: string }
  | { kind: 'reply'; address: string; projectId: string; reportId: string };

export type RecipientDeps = Pick<Deps, 'config' | 'secret'> & { db: DbOrTrx };

/**
 * Routes one recipient: a project's intake address, or a valid reply address (the report's, or one
 * of its project's members') of an existing report whose base (local part @ domain) is an intake address or uses the instance's mail domain.
 * Anything else is null: refused at RCPT time, so nothing is stored for an unknown address.
 */
export async function resolveRecipient(deps: RecipientDeps, raw: string): Promise<Recipient | null> {
  const address = raw.trim().toLowerCase();
  const projectId = await projectForRecipient(deps.db, address);
  if (projectId) return { kind: 'intake', address, projectId };

  const reportReply = parseReplyAddress(deps.secret, address);
  const reply = reportReply ?? memberReplyShape(address);
  if (!reply) return null;
  const base = `${reply.localPart}@${reply.domain}`;
  if (reply.domain !== deps.config.mailIn.domain && !(await projectForRecipient(deps.db, base))) return null;
  const report = await findReportForTrackingId(deps.db, reply.trackingId);
  if (!report) return null;
  if (!reportReply && !(await memberMacHolds(deps, address, report.project_id))) return null;
  return { kind: 'reply', address, projectId: report.project_id, reportId: report.id };
}

/** A member reply address's MAC is checked against the ids of the report's project's active members. */
async function memberMacHolds(deps: RecipientDeps, address: string, projectId: string): Promise<boolean> {
  const members = await listMembers(deps.db, projectId, { activeOnly: true });
  const parsed = parseMemberReplyAddress(
    deps.secret,
    address,
    members.map((m) => m.userId),
  );
  return parsed !== null;
}
