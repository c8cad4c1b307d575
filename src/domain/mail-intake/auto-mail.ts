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

const QUOTE_INTRO = /^On\s.+\swrote:\s*$/s;

/**
 * Drops a trailing quoted block introduced by "On ... wrote:" followed only by `>` lines, as mail
 * clients add under a reply. Anything else is kept whole: guessing wrong would lose a reporter's words.
 */
export function stripQuotedTail(text: string): string {
  const lines = text.split('\n');
  let end = lines.length;
  while (end > 0 && lines[end - 1]?.trim() === '') end--;
  let start = end;
  while (start > 0 && (lines[start - 1]?.startsWith('>') || lines[start - 1]?.trim() === '')) start--;
  const quoted = lines.slice(start, end).filter((l) => l.startsWith('>')).length;
  if (quoted === 0) return text;
  // The introduction may be wrapped over two lines ("On Mon, 2 Mar ... Ada <ada@\nexample.net> wrote:").
  for (const span of [1, 2]) {
    const intro = lines.slice(Math.max(0, start - span), start).join(' ');
    if (start - span >= 0 && QUOTE_INTRO.test(intro)) {
      const kept = lines
        .slice(0, start - span)
        .join('\n')
        .trimEnd();
      return kept === '' ? text : kept;
    }
  }
  return text;
}
