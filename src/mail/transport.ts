import nodemailer from 'nodemailer';

export interface OutgoingMessage {
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
}

/**
 * Where outgoing mail goes. `stored` keeps every message in the outbox for the "Outgoing mail"
 * page: with no SMTP configured nothing is ever dropped.
 */
export type MailTransport =
  | { kind: 'smtp'; send(message: OutgoingMessage): Promise<void>; close(): void }
  | { kind: 'stored' };

export function createMailTransport(smtpUrl: string | undefined): MailTransport {
  if (!smtpUrl) return { kind: 'stored' };
  const transporter = nodemailer.createTransport(smtpUrl);
  return {
    kind: 'smtp',
    async send(message) {
      await transporter.sendMail({
        messageId: message.messageId,
        from: message.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers: message.headers,
      });
    },
    close() {
      transporter.close();
    },
  };
}
