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
