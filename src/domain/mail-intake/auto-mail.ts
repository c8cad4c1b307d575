import type { ReadMail } from './read-mail.js';

// Mail written by machines never becomes a report or a message: answering an auto-reply or a
// bounce with our own acknowledgement is how mail loops start, and bulk mail is not a report.

const BULK = new Set(['bulk', 'junk', 'list']);

/** Why a message is ignored (kept and listed, never a report), or null when a person wrote it. */
export function ignoreReason(mail: ReadMail, envelope: { source: string; from: string | null }): string | null {
  const s = mail.signals;
  if (envelope.source === 'smtp' && envelope.from === null) return 'Bounce: the envelope sender is empty (<>).';
  if (s.nullReturnPath) return 'Bounce: Return-Path is empty (<>).';
  if (s.reportType) return `Delivery or read report (multipart/report; report-type=${s.reportType}).`;
  if (s.autoSubmitted && s.autoSubmitted !== 'no') return `Automatic message (Auto-Submitted: ${s.autoSubmitted}).`;
  if (s.precedence && BULK.has(s.precedence)) return `Bulk or list mail (Precedence: ${s.precedence}).`;
  if (s.autoReplyHeader) return 'Automatic reply (X-Autoreply or X-Autorespond).';
  if (s.spamFlag) return 'Marked as spam upstream (X-Spam-Flag: YES).';
  return null;
}
