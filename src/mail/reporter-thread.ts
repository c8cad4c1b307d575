import type { DbOrTrx } from '../db/types.js';
import type { Deps } from '../deps.js';
import { memberReplyAddressFor, replyAddressFor } from '../domain/mail-intake/reply-address.js';
import { firstIntakeAddress } from '../domain/pgp/pgp.repository.js';
import { listMembers } from '../domain/projects/projects.service.js';
import type { Email, EmailEnvelope } from './emails.js';
import {
  entryDetails,
  findReportForMail,
  inboundMessageIds,
  type ReportForMail,
  saveEmailHeaders,
  submittedDetail,
} from './reporter-thread.repository.js';

// Mail to a report's reporter continues their conversation: it answers their messages (In-Reply-To,
// References), replies to it reach the report (Reply-To: the report's reply address), a report that
// came by mail keeps its subject ("Re: ..."), and a reporter who gave us their key gets it encrypted.
// A team member's notifications about a report carry that member's own reply address as Reply-To,
// the only way an emailed answer becomes the team's message.

/** Team notifications about a report: never treated as mail to the reporter, even if the addresses match. */
const TEAM_TEMPLATES: ReadonlySet<string> = new Set(['team-new-report', 'team-reporter-replied']);

/** Enough for any client to thread; a long conversation must not grow the header without bound. */
const MAX_REFERENCES = 20;
const MESSAGE_ID = /^<[^<>\s]{1,250}>$/;

export type MailHeaders = Record<string, string>;

async function reportOfReporterMail(
  db: DbOrTrx,
  mail: { reportId: string | null; to: string; template: string },
): Promise<ReportForMail | null> {
  if (!mail.reportId || TEAM_TEMPLATES.has(mail.template)) return null;
  const report = await findReportForMail(db, mail.reportId);
  const to = mail.to.trim().toLowerCase();
  return report && report.reporter_email?.trim().toLowerCase() === to ? report : null;
}

/** In-Reply-To the reporter's latest message and References to all of them, or {} for a report from the form. */
async function answerHeaders(db: DbOrTrx, reportId: string): Promise<MailHeaders> {
  const ids = (await inboundMessageIds(db, reportId, MAX_REFERENCES)).filter((id) => MESSAGE_ID.test(id));
  const last = ids.at(-1);
  return last ? { 'In-Reply-To': last, References: ids.join(' ') } : {};
}

function reSubject(title: string): string {
  const subject = title.replace(/\s+/g, ' ').trim();
  return /^re:/i.test(subject) ? subject : `Re: ${subject}`;
}

/**
 * Whether the report or any mail filed on it came encrypted: then, while no key of the reporter's
 * is known, mail to them must not carry the conversation in the clear.
 */
async function cameEncrypted(db: DbOrTrx, reportId: string): Promise<boolean> {
  return (await entryDetails(db, reportId)).some((text) => {
    try {
      return (JSON.parse(text) as { encrypted?: unknown }).encrypted === true;
    } catch {
      return false;
    }
  });
}

/**
 * The email as queued for the reporter: a report that came encrypted and has no key of the
 * reporter's to encrypt to gets only a notice that there is news, pointing to the status page; the
 * team's message is left out of the rendered (and stored) bodies, never sent in the clear.
 */
function withheld(email: Email): Email {
  return email.template === 'reporter-update' && email.message !== null ? { ...email, message: null } : email;
}

/**
 * Decided when an email is queued, for mail to the reporter of `reportId` (null for any other):
 * the key to encrypt to, the threading headers known so far, the subject, and the email to render
 * (without the team's message when it may not go in the clear). "Re: <subject>" only for a report
 * whose own mail came unencrypted: an encrypted report's subject may have been protected inside
 * the encryption, and an outer Subject travels in the clear.
 */
export async function reporterMailAtQueue(
  db: DbOrTrx,
  envelope: EmailEnvelope,
): Promise<{ subject: string | null; headers: MailHeaders; encryptToKey: string | null; email: Email } | null> {
  const { reportId } = envelope;
  const report = await reportOfReporterMail(db, { reportId, to: envelope.to, template: envelope.email.template });
  if (!report || !reportId) return null;
  let subject: string | null = null;
  if (report.source === 'email') {
    const detail = JSON.parse((await submittedDetail(db, reportId)) ?? '{}') as { encrypted?: unknown };
    if (detail.encrypted !== true) subject = reSubject(report.title);
  }
  const clearOnly = !report.reporter_pgp_key && (await cameEncrypted(db, reportId));
  return {
    subject,
    headers: await answerHeaders(db, reportId),
    encryptToKey: report.reporter_pgp_key,
    email: clearOnly ? withheld(envelope.email) : envelope.email,
  };
}

/** The project's reply address base: the local part of its first intake address, on the instance's mail domain. */
async function replyBase(
  db: DbOrTrx,
  deps: Pick<Deps, 'config'>,
  projectId: string,
): Promise<{ localPart: string; domain: string } | null> {
  const localPart = (await firstIntakeAddress(db, projectId))?.split('@')[0];
  return localPart ? { localPart, domain: deps.config.mailIn.domain } : null;
}

/** A team notification about a report: Reply-To the addressee's own member reply address, when they are an active member. */
async function memberReplyTo(
  db: DbOrTrx,
  deps: Pick<Deps, 'secret' | 'config'>,
  row: { report_id: string; to_address: string },
): Promise<string | null> {
  const report = await findReportForMail(db, row.report_id);
  if (!report) return null;
  const to = row.to_address.trim().toLowerCase();
  const member = (await listMembers(db, report.project_id, { activeOnly: true })).find(
    (m) => m.email.toLowerCase() === to,
  );
  const base = member ? await replyBase(db, deps, report.project_id) : null;
  if (!member || !base) return null;
  try {
    return memberReplyAddressFor(deps.secret, { ...base, trackingId: report.tracking_id, userId: member.userId });
  } catch {
    return null; // a tracking id of another shape has no reply address
  }
}

/**
 * The headers an email is sent with: the ones stored when it was queued and, for mail to a
 * reporter, the report's reply address as Reply-To (it needs the server key, which queueing
 * callers do not carry) and the threading ids when none were known at queue time (a report filed
 * from mail links its message only after queueing the acknowledgement of receipt). A team
 * notification about a report gets its addressee's member reply address as Reply-To. Saved on the row.
 */
export async function headersAtSend(
  db: DbOrTrx,
  deps: Pick<Deps, 'secret' | 'config'>,
  row: { id: string; report_id: string | null; to_address: string; template: string; headers: string | null },
): Promise<MailHeaders> {
  const stored = row.headers ? (JSON.parse(row.headers) as MailHeaders) : {};
  const headers = { ...stored };
  if (TEAM_TEMPLATES.has(row.template) && row.report_id) {
    const replyTo = await memberReplyTo(db, deps, { report_id: row.report_id, to_address: row.to_address });
    if (replyTo) headers['Reply-To'] = replyTo;
  } else {
    const report = await reportOfReporterMail(db, {
      reportId: row.report_id,
      to: row.to_address,
      template: row.template,
    });
    if (!report || !row.report_id) return stored;
    if (!stored['In-Reply-To']) Object.assign(headers, await answerHeaders(db, row.report_id), stored);
    const base = await replyBase(db, deps, report.project_id);
    if (base) {
      try {
        headers['Reply-To'] = replyAddressFor(deps.secret, { ...base, trackingId: report.tracking_id });
      } catch {
        // A tracking id of another shape has no reply address: the mail goes without one rather than never.
      }
    }
  }
  const json = JSON.stringify(headers);
  if (json !== (row.headers ?? '{}')) await saveEmailHeaders(db, { id: row.id, headers: json });
  return headers;
}
