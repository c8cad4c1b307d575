import type { DbOrTrx } from '../db/types.js';
import type { Deps } from '../deps.js';
import { replyAddressFor } from '../domain/mail-intake/reply-address.js';
import { firstIntakeAddress } from '../domain/pgp/pgp.repository.js';
import {
  findReportForMail,
  inboundMessageIds,
  type ReportForMail,
  saveEmailHeaders,
  submittedDetail,
} from './reporter-thread.repository.js';

// Mail to a report's reporter continues their conversation: it answers their messages (In-Reply-To,
// References), replies to it reach the report (Reply-To: the report's reply address), a report that
// came by mail keeps its subject ("Re: ..."), and a reporter who gave us their key gets it encrypted.

/** Enough for any client to thread; a long conversation must not grow the header without bound. */
const MAX_REFERENCES = 20;
const MESSAGE_ID = /^<[^<>\s]{1,250}>$/;

export type MailHeaders = Record<string, string>;

async function reportOfReporterMail(
  db: DbOrTrx,
  mail: { reportId: string | null; to: string },
): Promise<ReportForMail | null> {
  if (!mail.reportId) return null;
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
 * Decided when an email is queued, for mail to the reporter of `reportId` (null for any other):
 * the key to encrypt to, the threading headers known so far, and the subject. "Re: <subject>" only
 * for a report whose own mail came unencrypted: an encrypted report's subject may have been
 * protected inside the encryption, and an outer Subject travels in the clear.
 */
export async function reporterMailAtQueue(
  db: DbOrTrx,
  mail: { reportId: string | null; to: string },
): Promise<{ subject: string | null; headers: MailHeaders; encryptToKey: string | null } | null> {
  const report = await reportOfReporterMail(db, mail);
  if (!report || !mail.reportId) return null;
  let subject: string | null = null;
  if (report.source === 'email') {
    const detail = JSON.parse((await submittedDetail(db, mail.reportId)) ?? '{}') as { encrypted?: unknown };
    if (detail.encrypted !== true) subject = reSubject(report.title);
  }
  return { subject, headers: await answerHeaders(db, mail.reportId), encryptToKey: report.reporter_pgp_key };
}

/**
 * The headers an email is sent with: the ones stored when it was queued and, for mail to a
 * reporter, the report's reply address as Reply-To (it needs the server key, which queueing
 * callers do not carry) and the threading ids when none were known at queue time (a report filed
 * from mail links its message only after queueing the acknowledgement of receipt). Saved on the row.
 */
export async function headersAtSend(
  db: DbOrTrx,
  deps: Pick<Deps, 'secret' | 'config'>,
  row: { id: string; report_id: string | null; to_address: string; headers: string | null },
): Promise<MailHeaders> {
  const stored = row.headers ? (JSON.parse(row.headers) as MailHeaders) : {};
  const report = await reportOfReporterMail(db, { reportId: row.report_id, to: row.to_address });
  if (!report || !row.report_id) return stored;
  const headers = { ...(stored['In-Reply-To'] ? {} : await answerHeaders(db, row.report_id)), ...stored };
  const intake = await firstIntakeAddress(db, report.project_id);
  const localPart = intake?.split('@')[0];
  if (localPart) {
    try {
      headers['Reply-To'] = replyAddressFor(deps.secret, {
        localPart,
        domain: deps.config.mailIn.domain,
        trackingId: report.tracking_id,
      });
    } catch {
      // A tracking id of another shape has no reply address: the mail goes without one rather than never.
    }
  }
  const json = JSON.stringify(headers);
  if (json !== (row.headers ?? '{}')) await saveEmailHeaders(db, { id: row.id, headers: json });
  return headers;
}
