import { type HeaderField, type MimeEntity, parseEntity } from './mime-tree.js';

// Writes back entities that unwrapping changed. Unchanged parts are copied byte for byte; the
// changed ones are written with CRLF line breaks and base64 bodies, so no line of them can be read
// as a boundary of the enclosing multipart.

const CRLF = '\r\n';

function block(fields: readonly Buffer[], body: Buffer): Buffer {
  const lines = fields.flatMap((f) => [f, Buffer.from(CRLF)]);
  return Buffer.concat([...lines, Buffer.from(CRLF), body]);
}

function base64Lines(bytes: Buffer): Buffer {
  return Buffer.from(`${(bytes.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF)}${CRLF}`, 'latin1');
}

const field = (text: string): Buffer => Buffer.from(text, 'latin1');

/** A text/plain part holding `text`, keeping the part's headers that are not about its content (e.g. Content-ID). */
export function textPart(original: Pick<MimeEntity, 'headers'>, text: string): Buffer {
  const kept = original.headers.filter(
    (h) => !h.name.startsWith('content-type') && !h.name.startsWith('content-transfer'),
  );
  const fields = [
    field('Content-Type: text/plain; charset=utf-8'),
    field('Content-Transfer-Encoding: base64'),
    ...kept.map((h) => h.raw),
  ];
  return block(fields, base64Lines(Buffer.from(text, 'utf8')));
}

/** The multipart `entity` with its headers (and boundary) kept and its parts replaced. */
export function multipart(entity: MimeEntity, parts: readonly Buffer[]): Buffer {
  const boundary = entity.params.boundary ?? '';
  const body = Buffer.concat([
    ...parts.flatMap((p) => [field(`--${boundary}${CRLF}`), p, field(CRLF)]),
    field(`--${boundary}--${CRLF}`),
  ]);
  return block(
    entity.headers.map((h) => h.raw),
    body,
  );
}

const CONTENT_HEADER = (h: HeaderField) => h.name.startsWith('content-') || h.name === 'mime-version';

/**
 * A whole message made of the outer message's headers (From, To, Subject, Date, Message-ID,
 * In-Reply-To, References... and the others, which auto-reply detection reads) around the
 * unwrapped entity. A header the inner entity repeats wins: that is how protected headers
 * (a Subject hidden inside the encryption) reach the reader.
 */
export function messageAround(outer: MimeEntity, inner: Buffer): Buffer {
  const entity = parseEntity(inner);
  const innerNames = new Set(entity.headers.map((h) => h.name));
  const outerKept = outer.headers.filter((h) => !CONTENT_HEADER(h) && !innerNames.has(h.name));
  const innerFields = entity.headers.filter((h) => h.name !== 'mime-version');
  return block(
    [...outerKept.map((h) => h.raw), field('MIME-Version: 1.0'), ...innerFields.map((h) => h.raw)],
    entity.body,
  );
}
