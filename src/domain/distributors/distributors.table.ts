// Rows as stored (see db/schema.ts for the conventions). Distributors (migration 0006).

export interface DistributorProgramsTable {
  project_id: string;
  criteria: string;
  terms: string;
  terms_version: number;
  updated_at: string;
  updated_by: string | null;
}

export interface DistributorsTable {
  id: string;
  project_id: string;
  name: string;
  website: string | null;
  created_at: string;
  created_by: string | null;
  removed_at: string | null;
}

export interface DistributorContactsTable {
  id: string;
  distributor_id: string;
  project_id: string;
  user_id: string;
  pgp_key: string | null;
  pgp_fingerprint: string | null;
  created_at: string;
  removed_at: string | null;
}

export interface DistributorAcceptancesTable {
  id: string;
  distributor_id: string;
  terms_version: number;
  accepted_at: string;
  user_id: string | null;
  label: string;
  note: string | null;
}

export interface DistributorNoticesTable {
  id: string;
  case_id: string;
  project_id: string;
  distributor_id: string;
  notified_at: string;
  snapshot: string;
}

export interface DistributorRecipientsTable {
  id: string;
  notice_id: string;
  contact_id: string;
  email: string;
  ack_token_hash: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}

export interface DistributorMessagesTable {
  id: string;
  recipient_id: string;
  case_id: string;
  kind: string;
  dedupe_key: string;
  email_id: string;
  created_at: string;
}
