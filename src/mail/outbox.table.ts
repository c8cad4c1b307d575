// Rows as stored (see db/schema.ts for the conventions).
import type { Generated } from 'kysely';

export interface OutboundEmailsTable {
  id: string;
  project_id: string | null;
  report_id: string | null;
  message_id: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string;
  template: string;
  status: string;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
  /** JSON object of extra headers (Reply-To, In-Reply-To, References), or null. */
  headers: string | null;
  /** Armored public key to encrypt the message to at send time (PGP/MIME), or null. */
  encrypt_to_key: string | null;
}

export interface OutboundEmailAttachmentsTable {
  id: string;
  email_id: string;
  position: number;
  filename: string;
  content_type: string;
  content: string;
}
