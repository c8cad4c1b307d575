// Rows as stored (see db/schema.ts for the conventions). Advisories (migration 0006).

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
}
