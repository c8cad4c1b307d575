// Rows as stored (see db/schema.ts for the conventions).
import type { Generated } from 'kysely';

export interface IntakeAddressesTable {
  id: string;
  project_id: string;
  /** Lowercased full address, e.g. security@example.org. */
  address: string;
  created_at: string;
}

export interface ImapAccountsTable {
  id: string;
  project_id: string;
  host: string;
  port: number;
  secure: number;
  username: string;
  /** Sealed with the server key (domain/instance/sealed.ts); never shown after entry. */
  password_sealed: string;
  mailbox: string;
  enabled: Generated<number>;
  uid_validity: string | null;
  /** The cursor: every UID up to this one has been taken. */
  last_uid: Generated<number>;
  lease_owner: string | null;
  lease_expires_at: string | null;
  last_polled_at: string | null;
  last_error: string | null;
  created_at: string;
}

export interface InboundMessagesTable {
  id: string;
  /** 'smtp' | 'imap' */
  source: string;
  project_id: string | null;
  imap_account_id: string | null;
  imap_uid_validity: string | null;
  imap_uid: number | null;
  envelope_from: string | null;
  /** JSON array of the envelope recipients. */
  envelope_to: string;
  message_id: string | null;
  size: number;
  raw: Buffer | null;
  /** 'received' | 'processed' | 'quarantined' | 'ignored' ('processing' only inside the processing transaction) */
  status: string;
  reason: string | null;
  report_id: string | null;
  received_at: string;
  processed_at: string | null;
}
