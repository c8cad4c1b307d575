// Rows as stored (see db/schema.ts for the conventions).
export interface ReportsTable {
  id: string;
  project_id: string;
  tracking_id: string;
  status_token_hash: string;
  source: string;
  title: string;
  description: string;
  affected_versions: string | null;
  reproduction: string | null;
  impact: string | null;
  reporter_name: string | null;
  reporter_email: string | null;
  credit: string;
  status: string;
  close_reason: string | null;
  duplicate_of_id: string | null;
  case_id: string | null;
  received_at: string;
  ack_due_at: string;
  acknowledged_at: string | null;
  closed_at: string | null;
  last_activity_at: string;
  updated_at: string;
  /** The reporter's armored OpenPGP public key, when they sent one: replies are encrypted to it. */
  reporter_pgp_key: string | null;
}

export interface ReportEntriesTable {
  id: string;
  report_id: string;
  kind: string;
  visibility: string;
  author_kind: string;
  author_user_id: string | null;
  body: string | null;
  status_from: string | null;
  status_to: string | null;
  detail: string | null;
  created_at: string;
}

export interface AttachmentsTable {
  id: string;
  report_id: string;
  entry_id: string | null;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  content: Buffer;
  created_at: string;
}
