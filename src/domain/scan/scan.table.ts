// Rows as stored (see db/schema.ts for the conventions). Dependency scanning, migration 0008.

export interface VulnsTable {
  id: string;
  modified: string;
  published: string | null;
  withdrawn: string | null;
  summary: string;
  /** JSON array of ids. */
  aliases: string;
  /** The OSV record, JSON. */
  record: string;
  /** import | project */
  origin: string;
  project_id: string | null;
  case_id: string | null;
  imported_at: string;
}

export interface VulnPackagesTable {
  vuln_id: string;
  seq: number;
  package_key: string;
  ecosystem: string;
  name: string;
  /** JSON { ranges, versions }. */
  affected: string;
}

export interface DependentsTable {
  id: string;
  project_id: string | null;
  name: string;
  email: string | null;
  /** pending | active | unsubscribed */
  status: string;
  confirm_token_hash: string | null;
  manage_token_hash: string | null;
  created_at: string;
  confirmed_at: string | null;
  unsubscribed_at: string | null;
}

export interface InventoriesTable {
  id: string;
  project_id: string | null;
  branch_id: string | null;
  dependent_id: string | null;
  name: string;
  format: string;
  sha256: string;
  package_count: number;
  uploaded_at: string;
  uploaded_by: string;
}

export interface InventoryPackagesTable {
  inventory_id: string;
  seq: number;
  package_key: string;
  ecosystem: string;
  name: string;
  version: string;
}

export interface FindingsTable {
  id: string;
  project_id: string;
  branch_id: string;
  vuln_id: string;
  package_key: string;
  ecosystem: string;
  name: string;
  version: string;
  summary: string;
  severity: string;
  fixed_version: string | null;
  /** in_triage | affected | not_affected | fixed */
  state: string;
  justification: string | null;
  note: string;
  owner_user_id: string | null;
  present: number;
  first_seen_at: string;
  last_seen_at: string;
  gone_at: string | null;
  due_at: string | null;
  resolved_at: string | null;
  updated_at: string;
  notified_at: string | null;
}

export interface DependentAlertsTable {
  id: string;
  dependent_id: string;
  vuln_id: string;
  case_id: string | null;
  package_key: string;
  ecosystem: string;
  name: string;
  version: string;
  fixed_version: string | null;
  created_at: string;
}
