import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import type { DbOrTrx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { type CheckedAttachment, checkAttachments } from '../reports/attachments.js';
import { clean, LIMITS } from '../reports/intake-input.js';
import { PgpUnwrapError, unwrapInbound } from '../pgp/inbound.js';
import type { SignatureCheck } from '../pgp/pgp.js';
import { checkMimeStructure, UnreadableMailError } from './mime-check.js';

export { UnreadableMailError } from './mime-check.js';

export interface MailAddress {
  /** Lowercased. */
  address: string;
  name: string | null;
}

/** What says a message was written by a machine (RFC 3834 and common practice). */
export interface AutoSignals {
  /** The Auto-Submitted header, lowercased (`no` means a person wrote it). */
  autoSubmitted: string | null;
  /** The Precedence header, lowercased (`bulk`, `junk`, `list`). */
  precedence: string | null;
  /** An X-Autoreply or X-Autorespond header is present. */
  autoReplyHeader: boolean;
  /** The report-type of a multipart/report message (delivery-status for bounces), or null. */
  reportType: string | null;
  /** Return-Path is `<>`: the null sender of bounces, as seen in a mailbox fetched over IMAP. */
  nullReturnPath: boolean;
  /** An upstream filter set `X-Spam-Flag: YES`. */
  spamFlag: boolean;
}

export type { SignatureCheck } from '../pgp/pgp.js';

/** An inbound message as the intake pipeline uses it. No HTML is ever kept. */
export interface ReadMail {
  from: MailAddress | null;
  subject: string | null;
  /** `<id@host>` */
  messageId: string | null;
  /** Message-IDs from In-Reply-To. */
  inReplyTo: string[];
  /** Message-IDs from References, oldest first. */
  references: string[];
  /** Every address in To and Cc, lowercased (reply addresses may be found there for IMAP mail). */
  toAndCc: string[];
  /** Plain text; derived from the HTML when the message had no plain text part. */
  text: string;
  attachments: CheckedAttachment[];
  signals: AutoSignals;
  /** Whether the message was OpenPGP-encrypted (and decrypted to read it). */
  encrypted: boolean;
  /** The OpenPGP signature over the message, or null when it was not signed. */
  signature: SignatureCheck | null;
  /** Some of the text lies outside the signed part (a signed fragment in unsigned mail). */
  partlySigned: boolean;
  /** Some of the text came in the clear beside the encrypted part. */
  partlyEncrypted: boolean;
  /** An armored OpenPGP public key the sender sent (attachment or Autocrypt header), or null. */
  senderKey: string | null;
}

export type ReadMailDeps = Pick<Deps, 'config' | 'secret' | 'clock'> & { db: DbOrTrx };

// HTML longer than this is not turned into text (the raw message is kept in quarantine instead).
const MAX_HTML_CHARS = 5_000_000;
const MAX_THREAD_IDS = 50;

/**
 * Reads an inbound message: structure check, MIME parsing, text, attachments (under the form's
 * limits), threading ids and auto-reply signals. Throws UnreadableMailError or a DomainError (too
 * many or too large attachments) when it cannot be read; the caller quarantines the message.
 */
export async function readInboundMail(
  deps: ReadMailDeps,
  input: { raw: Buffer; projectId: string | null },
): Promise<ReadMail> {
  // OpenPGP first: decrypted with the project's key, signatures checked; the inner message is read.
  checkMimeStructure(input.raw);
  let unwrapped: Awaited<ReturnType<typeof unwrapInbound>>;
  try {
    unwrapped = await unwrapInbound(deps, input);
  } catch (err) {
    if (err instanceof PgpUnwrapError) throw new UnreadableMailError(`OpenPGP: ${err.reason}.`);
    throw err;
  }
  if (unwrapped.raw !== input.raw) checkMimeStructure(unwrapped.raw);
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(unwrapped.raw, {
      maxHtmlLengthToParse: MAX_HTML_CHARS,
      skipImageLinks: true,
      skipTextToHtml: true,
      skipTextLinks: true,
    });
  } catch (err) {
    throw new UnreadableMailError(`The message could not be parsed: ${err instanceof Error ? err.message : 'unknown'}`);
  }
  const attachments = checkAttachments(
    deps.config,
    parsed.attachments.map((a) => ({
      filename: a.filename ?? 'attachment',
      contentType: a.contentType,
      content: a.content,
    })),
  );
  return {
    from: firstAddress(parsed.from),
    subject: oneLine(parsed.subject, LIMITS.title * 5),
    messageId: messageIds(parsed.messageId)[0] ?? null,
    inReplyTo: messageIds(parsed.inReplyTo),
    references: messageIds(parsed.references).slice(-MAX_THREAD_IDS),
    toAndCc: [...addressesOf(parsed.to), ...addressesOf(parsed.cc)],
    text: plainText(parsed),
    attachments,
    signals: signalsOf(parsed),
    encrypted: unwrapped.encrypted,
    signature: unwrapped.signature,
    partlySigned: unwrapped.partlySigned,
    partlyEncrypted: unwrapped.partlyEncrypted,
    senderKey: unwrapped.senderKey,
  };
}

function oneLine(value: string | undefined, max: number): string | null {
  const text = clean(value ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  return text ? text.slice(0, max) : null;
}

function addressesOf(value: AddressObject | AddressObject[] | undefined): string[] {
  const objects = Array.isArray(value) ? value : value ? [value] : [];
  return objects.flatMap((o) => flatten(o.value)).map((a) => a.address);
}

function flatten(list: AddressObject['value']): MailAddress[] {
  return list.flatMap((a) =>
    a.group ? flatten(a.group) : a.address ? [{ address: a.address.trim().toLowerCase(), name: a.name || null }] : [],
  );
}

function firstAddress(value: AddressObject | undefined): MailAddress | null {
  const first = value ? flatten(value.value)[0] : undefined;
  if (!first) return null;
  return { address: first.address, name: oneLine(first.name ?? undefined, LIMITS.reporterName) };
}

/** Every `<id>` in a header value (or values), in order, without duplicates. */
function messageIds(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(' ') : (value ?? '');
  const ids = joined.match(/<[^<>\s]{1,900}>/g) ?? [];
  return [...new Set(ids)];
}

function header(parsed: ParsedMail, name: string): string | null {
  const value = parsed.headers.get(name);
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value.trim().toLowerCase();
  if (Array.isArray(value))
    return String(value[0] ?? '')
      .trim()
      .toLowerCase();
  if (typeof value === 'object' && 'value' in value && typeof value.value === 'string') {
    return value.value.trim().toLowerCase();
  }
  return null;
}

function signalsOf(parsed: ParsedMail): AutoSignals {
  const type = parsed.headers.get('content-type');
  const structured = type && typeof type === 'object' && 'value' in type && 'params' in type ? type : null;
  const isReport = structured?.value.toLowerCase() === 'multipart/report';
  return {
    autoSubmitted: header(parsed, 'auto-submitted')?.split(';')[0]?.trim() ?? null,
    precedence: header(parsed, 'precedence'),
    autoReplyHeader: parsed.headers.has('x-autoreply') || parsed.headers.has('x-autorespond'),
    reportType: isReport ? (structured.params['report-type']?.toLowerCase() ?? 'unknown') : null,
    nullReturnPath: /^<\s*>$/.test(header(parsed, 'return-path') ?? ''),
    spamFlag: header(parsed, 'x-spam-flag') === 'yes',
  };
}

// mailparser derives `text` from the HTML (with html-to-text) when there is no plain text part, so
// `html` itself is never needed; if it ever gave none, tags are stripped here as a last resort.
function plainText(parsed: ParsedMail): string {
  const text =
    typeof parsed.text === 'string' ? parsed.text : typeof parsed.html === 'string' ? strip(parsed.html) : '';
  return clean(text).replace(/\r\n?/g, '\n').trim();
}

function strip(html: string): string {
  return html
    .replace(/<(script|style|head)[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<br\s*\/?>|<\/p\s*>|<\/div\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
