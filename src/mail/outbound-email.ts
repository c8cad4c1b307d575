/**
 * An email in the outbox. `queued` waits for the worker; `sent` was accepted by the SMTP server;
 * `stored` is kept here because no SMTP server is configured; `failed` ran out of attempts and
 * waits for an admin to retry it.
 */
export const EMAIL_STATUSES = ['queued', 'sent', 'stored', 'failed'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

export interface OutboundEmail {
  id: string;
  projectId: string | null;
  reportId: string | null;
  /** The Message-ID header, `<uuid@host>`, the same on every attempt so receivers can drop a duplicate. */
  messageId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  template: string;
  status: EmailStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}
