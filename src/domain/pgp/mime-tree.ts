// A small MIME reader over the raw bytes of a message. mailparser decodes everything, but a
// PGP/MIME signature covers the exact bytes of the signed part (RFC 3156 section 5), so the parts
// must be cut from the message as received, and the parts that are not unwrapped must be written
// back unchanged.

const LF = 0x0a;
const CR = 0x0d;
/** Deeper nesting than any real message; a crafted one must not exhaust the stack. */
const MAX_DEPTH = 20;

export interface HeaderField {
  /** Lower case. */
  name: string;
  /** Unfolded, read as latin1 (structure only: addresses and parameters are ASCII). */
  value: string;
  /** The field as received, folding included, without its final line break. */
  raw: Buffer;
}

export interface MimeEntity {
  /** The whole entity as received. */
  raw: Buffer;
  headers: HeaderField[];
  body: Buffer;
  /** Lower case, `text/plain` when absent. */
  type: string;
  params: Record<string, string>;
  /** The parts of a multipart entity, in order; null for a leaf. */
  parts: MimeEntity[] | null;
}

export function header(entity: Pick<MimeEntity, 'headers'>, name: string): string | undefined {
  return entity.headers.find((h) => h.name === name)?.value;
}

/** `type/subtype; a=b; c="d"` as a lower-case type and its parameters (names lower-cased, values unquoted). */
export function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  const [head = '', ...rest] = (value ?? '').split(';');
  const type = head.trim().toLowerCase() || 'text/plain';
  const params: Record<string, string> = {};
  const re = /\s*([^=\s;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g;
  for (const match of rest.join(';').matchAll(re)) {
    const [, name = '', raw = ''] = match;
    params[name.toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return { type, params };
}

function splitHeaderBlock(raw: Buffer): { headerBytes: Buffer; body: Buffer } {
  let pos = 0;
  while (pos < raw.length) {
    const nl = raw.indexOf(LF, pos);
    const end = nl < 0 ? raw.length : nl;
    const lineLength = end - pos - (end > pos && raw[end - 1] === CR ? 1 : 0);
    if (lineLength === 0) return { headerBytes: raw.subarray(0, pos), body: raw.subarray(nl < 0 ? end : nl + 1) };
    if (nl < 0) break;
    pos = nl + 1;
  }
  return { headerBytes: raw, body: Buffer.alloc(0) };
}

function parseFields(block: Buffer): HeaderField[] {
  const fields: HeaderField[] = [];
  const lines = block.toString('latin1').split(/(?<=\n)/);
  for (const line of lines) {
    const last = fields.at(-1);
    if (last && /^[ \t]/.test(line)) {
      last.raw = Buffer.concat([last.raw, Buffer.from(line, 'latin1')]);
      continue;
    }
    if (line.trim() === '') continue;
    fields.push({ name: '', value: '', raw: Buffer.from(line, 'latin1') });
  }
  for (const field of fields) {
    field.raw = Buffer.from(field.raw.toString('latin1').replace(/\r?\n$/, ''), 'latin1');
    const text = field.raw.toString('latin1').replace(/\r?\n(?=[ \t])/g, '');
    const colon = text.indexOf(':');
    field.name = (colon < 0 ? text : text.slice(0, colon)).trim().toLowerCase();
    field.value = colon < 0 ? '' : text.slice(colon + 1).trim();
  }
  return fields;
}

/** Whether `body[at...]` after a boundary marker ends the line (only optional white space follows). */
function lineEndsAt(body: Buffer, at: number): number | null {
  let i = at;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x09)) i++;
  if (i >= body.length) return i;
  if (body[i] === LF) return i + 1;
  if (body[i] === CR && body[i + 1] === LF) return i + 2;
  return null;
}

/** The parts between `--boundary` lines, each without the line break that belongs to the next delimiter. */
export function splitMultipart(body: Buffer, boundary: string): Buffer[] | null {
  const marker = Buffer.from(`--${boundary}`, 'latin1');
  const parts: Buffer[] = [];
  let start: number | null = null;
  let from = 0;
  for (;;) {
    const at = body.indexOf(marker, from);
    if (at < 0) break;
    from = at + 1;
    if (at > 0 && body[at - 1] !== LF) continue;
    const after = at + marker.length;
    const closing = body[after] === 0x2d && body[after + 1] === 0x2d;
    const next = closing ? after + 2 : lineEndsAt(body, after);
    if (next === null) continue;
    if (start !== null) {
      const end = at === 0 ? 0 : at - (at >= 2 && body[at - 2] === CR ? 2 : 1);
      parts.push(body.subarray(start, Math.max(start, end)));
    }
    if (closing) return parts;
    start = next;
  }
  if (start === null) return null;
  // No closing delimiter: a truncated message keeps what arrived.
  parts.push(body.subarray(start));
  return parts;
}

/** Reads one MIME entity (a whole message, or a part of one) from its bytes. */
export function parseEntity(raw: Buffer, depth = 0): MimeEntity {
  const { headerBytes, body } = splitHeaderBlock(raw);
  const headers = parseFields(headerBytes);
  const { type, params } = parseContentType(header({ headers }, 'content-type'));
  let parts: MimeEntity[] | null = null;
  if (type.startsWith('multipart/') && params.boundary && depth < MAX_DEPTH) {
    parts = splitMultipart(body, params.boundary)?.map((part) => parseEntity(part, depth + 1)) ?? null;
  }
  return { raw, headers, body, type, params, parts };
}

/** The body with its transfer encoding (base64, quoted-printable) undone. */
export function decodedBody(entity: MimeEntity): Buffer {
  const encoding = (header(entity, 'content-transfer-encoding') ?? '').toLowerCase();
  if (encoding === 'base64')
    return Buffer.from(entity.body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (encoding !== 'quoted-printable') return entity.body;
  const text = entity.body
    .toString('latin1')
    .replace(/[ \t]+(?=\r?\n|$)/g, '')
    .replace(/=\r?\n/g, '');
  return Buffer.from(
    text.replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  );
}

/** A text part's content as a string, in its declared charset (UTF-8 when unknown). */
export function bodyText(entity: MimeEntity): string {
  const bytes = decodedBody(entity);
  try {
    return new TextDecoder(entity.params.charset || 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

export function isAttachment(entity: MimeEntity): boolean {
  return /^attachment\b/i.test(header(entity, 'content-disposition') ?? '');
}

/** Line breaks made CRLF, as RFC 3156 requires of signed data and as SMTP carries it. */
export function crlf(bytes: Buffer): Buffer {
  return Buffer.from(bytes.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}
