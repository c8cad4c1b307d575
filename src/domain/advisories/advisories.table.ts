// Rows as stored (see db/schema.ts for the conventions). Advisories (migration 0006), their public
// record and revisions (0007).
import type { Generated } from 'kysely';

export interface AdvisoriesTable {
  id: string;
  case_id: string;
  project_id: string;
  public_id: string | null;
  summary: string;
  details: string;
  affected_text: string;
  check_text: string;
  upgrade_text: string;
  mitigations_text: string;
  detection_text: string;
  credits: string;
  published_at: string | null;
  created_at: string;
  updated_at: string;
  updated_by: string | null;
  /** JSON arrays. */
  aliases: Generated<string>;
  related: Generated<string>;
  references_json: Generated<string>;
  cve_id: string | null;
  cve_requested_from: string | null;
  cve_requested_at: string | null;
  /** The AdvisoryRecord of the current revision (JSON); null until published. */
  record: string | null;
  revision: Generated<number>;
  modified_at: string | null;
  withdrawn_at: string | null;
  withdrawn_reason: string | null;
}

export interface AdvisoryRevisionsTable {
  id: string;
  case_id: string;
  project_id: string;
  number: number;
  at: string;
  summary: string;
  actor_label: string;
  record: string;
}

export interface CveIdsTable {
  id: string;
  project_id: string;
  cve_id: string;
  year: number;
  /** reserved | assigned | published | rejected */
  state: string;
  case_id: string | null;
  /** cve-services | manual */
  source: string;
  reserved_at: string;
  assigned_at: string | null;
  published_at: string | null;
  rejected_at: string | null;
  updated_at: string;
}

export interface ProjectSecuritySettingsTable {
  project_id: string;
  publisher_name: string | null;
  /** cna | request */
  cve_source: string;
  cve_request_from: string | null;
  bounty_text: string | null;
  bounty_url: string | null;
  security_txt_days: number;
  updated_at: string;
  updated_by: string | null;
}
