/** This process no longer holds the account's lease: it stops, and rolls back what it was storing. */
export class LeaseLost extends Error {
  constructor() {
    super('the IMAP account lease was taken over');
    this.name = 'LeaseLost';
  }
}

/** The parts of an imapflow error worth showing; the server's own words are in `responseText`. */
interface ImapErrorFields {
  message?: unknown;
  code?: unknown;
  responseText?: unknown;
  authenticationFailed?: unknown;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * A one-line reason for a failed poll, for admins (stored in last_error) and the log. The password
 * is cut out wherever it might appear, and the line is bounded, since a server chooses its words.
 */
export function describeImapError(err: unknown, password: string): string {
  const e: ImapErrorFields = err && typeof err === 'object' ? (err as ImapErrorFields) : { message: String(err) };
  const server = text(e.responseText);
  const code = text(e.code);
  let line: string;
  if (e.authenticationFailed === true) line = `The server refused the sign-in${server ? `: ${server}` : '.'}`;
  else if (server) line = `${text(e.message) || 'The server refused a command'}: ${server}`;
  else line = [code, text(e.message)].filter(Boolean).join(': ') || 'The poll failed.';
  if (password) line = line.split(password).join('[password]');
  // Control characters are what is replaced: a server's reply must stay one line.
  return line.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 500);
}
