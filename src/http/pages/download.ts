import type { FastifyReply } from 'fastify';

/**
 * `attachment; filename*=UTF-8''...` (RFC 6266 / 8187): the browser saves the file under its
 * name and never displays it. Every byte outside the RFC's attr-char set is percent-encoded, so
 * quotes, semicolons and line breaks in a name cannot break out of the header.
 */
export function contentDisposition(filename: string): string {
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename*=UTF-8''${encoded}`;
}

/**
 * Sends an uploaded file so that no browser ever renders it: saved under its name, as opaque
 * bytes, unsniffed, and sandboxed should it be opened directly. Every download route uses this.
 */
export function sendAttachment(reply: FastifyReply, file: { filename: string; content: Buffer }): FastifyReply {
  return reply
    .header('content-disposition', contentDisposition(file.filename))
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', 'sandbox')
    .type('application/octet-stream')
    .send(file.content);
}
