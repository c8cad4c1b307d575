// A structural check of a raw message before it is parsed. mailparser is lenient by design and
// never refuses anything: a multipart without its boundary or cut off before its end just yields
// an empty body, and a report would silently lose its text. Such a message is quarantined instead,
// with the reason, and kept whole for a person to look at.

/** Why a message cannot be read as MIME; the message is stored for people, and safe to show. */
export class UnreadableMailError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnreadableMailError';
  }
}

const MAX_DEPTH = 20;
const HEADER_FIELD = /^[!-9;-~]+:/;

function splitEntity(text: string): { headers: string; body: string } {
  const end = /\r?\n\r?\n/.exec(text);
  if (text.startsWith('\n') || text.startsWith('\r\n')) return { headers: '', body: text.replace(/^\r?\n/, '') };
  return end
    ? { headers: text.slice(0, end.index), body: text.slice(end.index + end[0].length) }
    : { headers: text, body: '' };
}

function contentType(headers: string): string | null {
  const unfolded = headers.replace(/\r?\n[ \t]+/g, ' ');
  const line = unfolded.split(/\r?\n/).find((l) => /^content-type:/i.test(l));
  return line ? line.slice(line.indexOf(':') + 1).trim() : null;
}

function boundaryOf(type: string): string | null {
  const match = /;\s*boundary\s*=\s*(?:"([^"]{1,200})"|([^\s;"]{1,200}))/i.exec(type);
  return match?.[1] ?? match?.[2] ?? null;
}

/** The parts between a multipart body's delimiter lines, or null when it has none or never closes. */
function splitMultipart(body: string, boundary: string): string[] | null {
  const delimiter = `--${boundary}`;
  let pos = body.startsWith(delimiter) ? 0 : body.indexOf(`\n${delimiter}`);
  if (pos < 0) return null;
  if (!body.startsWith(delimiter)) pos += 1;
  const parts: string[] = [];
  for (;;) {
    const after = pos + delimiter.length;
    if (body.startsWith('--', after)) return parts;
    const lineEnd = body.indexOf('\n', after);
    if (lineEnd < 0) return null;
    const next = body.indexOf(`\n${delimiter}`, lineEnd);
    if (next < 0) return null;
    parts.push(body.slice(lineEnd + 1, next).replace(/\r$/, ''));
    pos = next + 1;
  }
}

function checkEntity(text: string, depth: number): void {
  const { headers, body } = splitEntity(text);
  const type = contentType(headers);
  if (!type || !/^multipart\//i.test(type)) return;
  if (depth >= MAX_DEPTH) throw new UnreadableMailError('The MIME parts are nested too deeply.');
  const boundary = boundaryOf(type);
  if (!boundary) throw new UnreadableMailError('A multipart part declares no boundary.');
  const parts = splitMultipart(body, boundary);
  if (parts === null) throw new UnreadableMailError('A multipart part is cut off: its closing boundary is missing.');
  if (parts.length === 0) throw new UnreadableMailError('A multipart part has no parts.');
  for (const part of parts) checkEntity(part, depth + 1);
}

/** Throws UnreadableMailError when `raw` is not a message whose MIME structure holds together. */
export function checkMimeStructure(raw: Buffer): void {
  // latin1 maps every byte to one character, so offsets stay byte offsets whatever the charset.
  const text = raw.toString('latin1');
  if (!HEADER_FIELD.test(text)) throw new UnreadableMailError('The message does not start with mail headers.');
  checkEntity(text, 0);
}
