import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Member } from '../projects/projects.js';
import { listMembers } from '../projects/projects.service.js';
import type { Report } from '../reports/reports.js';
import { findReportById, toReport } from '../reports/reports.repository.js';
import { findProjectReportRow } from '../reports/triage.repository.js';
import { findReportByThreadIds } from './inbound.repository.js';
import type { ReadMail } from './read-mail.js';
import { memberReplyShape, parseMemberReplyAddress, parseReplyAddress } from './reply-address.js';

/** The report an inbound message answers, and how that was told. */
export type Thread =
  | { report: Report; via: 'reply-address' | 'message-id' }
  /** Sent to the reply address given to one team member (`member`, active in the project). */
  | { report: Report; via: 'member-reply-address'; member: Member };

/** The active member of the project whose account address sent the mail, if any. */
export async function memberBySender(trx: Trx, projectId: string, sender: string): Promise<Member | undefined> {
  const members = await listMembers(trx, projectId, { activeOnly: true });
  return members.find((m) => m.email.toLowerCase() === sender);
}

/**
 * Which of the project's reports a message answers. A member's reply address (given only to that
 * member) comes first; then a report's reply address (whose MAC proves Embargo gave it out) decides alone, from the envelope or, for mail fetched over IMAP, the To and Cc headers.
 * Message-IDs in In-Reply-To and References are public to anyone who saw the mail, so they thread
 * only mail from the report's reporter or a member; anyone else's mail becomes a report of its own.
 * Only reports of the project the mail was addressed to are ever considered.
 */
export async function findThread(
  trx: Trx,
  deps: Pick<Deps, 'secret'>,
  options: { projectId: string; envelopeTo: readonly string[]; mail: ReadMail & { from: { address: string } } },
): Promise<Thread | null> {
  const { projectId, mail } = options;
  const addresses = [...options.envelopeTo, ...mail.toAndCc];
  for (const address of addresses) {
    const shape = memberReplyShape(address);
    if (!shape) continue;
    const row = await findProjectReportRow(trx, projectId, { trackingId: shape.trackingId });
    if (!row) continue;
    const members = await listMembers(trx, projectId, { activeOnly: true });
    const parts = parseMemberReplyAddress(
      deps.secret,
      address,
      members.map((m) => m.userId),
    );
    const member = members.find((m) => m.userId === parts?.userId);
    if (member) return { report: toReport(row), via: 'member-reply-address', member };
  }
  for (const address of addresses) {
    const parts = parseReplyAddress(deps.secret, address);
    if (!parts) continue;
    const row = await findProjectReportRow(trx, projectId, { trackingId: parts.trackingId });
    if (row) return { report: toReport(row), via: 'reply-address' };
  }
  const reportId = await findReportByThreadIds(trx, { projectId, messageIds: [...mail.inReplyTo, ...mail.references] });
  const report = reportId ? await findReportById(trx, reportId) : undefined;
  if (!report || report.projectId !== projectId) return null;
  const sender = mail.from.address;
  if (report.reporterEmail?.toLowerCase() === sender) return { report, via: 'message-id' };
  if (await memberBySender(trx, projectId, sender)) return { report, via: 'message-id' };
  return null;
}
