import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpCapture {
  /** smtp://127.0.0.1:<port>, for EMBARGO_SMTP_URL. */
  url: string;
  /** Every message the server accepted (answered 250), parsed, in order. */
  messages: ParsedMail[];
  /** The SMTP envelope recipients of each accepted message, in the same order. */
  recipients: string[][];
  /** Resolves once at least `n` messages were accepted (fails after a few seconds). */
  waitFor(n: number): Promise<void>;
  /** While true, every message is refused with a temporary 451 after its data was sent. */
  setFailing(failing: boolean): void;
  close(): Promise<void>;
}

/** A real SMTP server on a loopback port that keeps what it receives: no TLS, no auth required. */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const messages: ParsedMail[] = [];
  const recipients: string[][] = [];
  let failing = false;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        if (failing) {
          const err = Object.assign(new Error('Mailbox temporarily unavailable'), { responseCode: 451 });
          callback(err);
          return;
        }
        simpleParser(Buffer.concat(chunks))
          .then((parsed) => {
            messages.push(parsed);
            recipients.push(session.envelope.rcptTo.map((r) => r.address));
            callback();
          })
          .catch(callback);
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    recipients,
    async waitFor(n) {
      for (let i = 0; i < 200 && messages.length < n; i++) await new Promise((r) => setTimeout(r, 25));
      if (messages.length < n) throw new Error(`expected ${n} messages, the SMTP server received ${messages.length}`);
    },
    setFailing(value) {
      failing = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
