import nodemailer from 'nodemailer';

export interface OutgoingMessage {
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
  /** Text files attached after the bodies (a distributor's patches). */
  attachments?: { filename: string; contentType: string; content: string }[];
  /**
   * The complete message, built by the caller (an OpenPGP-encrypted one: mail/pgp-mime.ts), sent
   * as is to `to`; the fields above then only give the envelope.
   */
  raw?: Buffer;
}

/**
 * Where outgoing mail goes. `stored` keeps every message in the outbox for the "Outgoing mail"
 * page: with no SMTP configured nothing is ever dropped.
 */
export type MailTransport =
  { kind: 'smtp'; send(message: OutgoingMessage): Promise<void>; close(): void } | { kind: 'stored' };

// Nodemailer waits up to an hour on a silent socket by default. A send must end (or fail) well
// within the job lock (5 min), or another worker could take the job over and send a second copy.
const TIMEOUTS_MS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 };

/**
 * The SMTP URL with our timeouts added, unless the URL sets its own (`?socketTimeout=...`), and a
 * pool of connections reused from one message to the next (`?pool=false` turns it off): an
 * announcement to thousands of subscribers must not open a connection per copy.
 */
function withTimeouts(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  for (const [key, ms] of Object.entries(TIMEOUTS_MS)) {
    if (!url.searchParams.has(key)) url.searchParams.set(key, String(ms));
  }
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  return url.toString();
}

export function createMailTransport(smtpUrl: string | undefined): MailTransport {
  if (!smtpUrl) return { kind: 'stored' };
  const transporter = nodemailer.createTransport(withTimeouts(smtpUrl));
  return {
    kind: 'smtp',
    async send(message) {
      if (message.raw) {
        await transporter.sendMail({ envelope: { from: message.from, to: [message.to] }, raw: message.raw });
        return;
      }
      await transporter.sendMail({
        messageId: message.messageId,
        from: message.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers: message.headers,
        ...(message.attachments?.length
          ? {
              attachments: message.attachments.map((a) => ({
                filename: a.filename,
                content: a.content,
                contentType: a.contentType,
              })),
            }
          : {}),
      });
    },
    close() {
      transporter.close();
    },
  };
}
