/** A mailbox at a mail provider whose messages become the project's inbound mail, as admins see it. */
export interface ImapAccount {
  id: string;
  projectId: string;
  host: string;
  port: number;
  /** TLS from the first byte (usually port 993); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  username: string;
  mailbox: string;
  enabled: boolean;
  /** The mailbox's UIDVALIDITY when the cursor was set; null before the first poll. */
  uidValidity: string | null;
  /** The cursor: every message with a UID up to this one has been taken. */
  lastUid: number;
  lastPolledAt: string | null;
  /** Why the last poll failed (never holds the password), or null when it succeeded. */
  lastError: string | null;
  createdAt: string;
}

/** What an admin types in; the password is sealed at once and never shown again. */
export interface ImapAccountInput {
  host: string;
  /** Empty or undefined: 993 with TLS, 143 without. */
  port: number | undefined;
  secure: boolean;
  username: string;
  /** Required when adding; empty when editing keeps the stored one. */
  password: string;
  /** Empty: INBOX. */
  mailbox: string;
}
