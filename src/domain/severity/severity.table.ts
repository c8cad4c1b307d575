// Rows as stored (see db/schema.ts for the conventions).
import type { Generated } from 'kysely';

export interface CaseSeverityTable {
  case_id: string;
  project_id: string;
  cvss_v31: string | null;
  cvss_v40: string | null;
  cvss_imported: string | null;
  ssvc_exploitation: string | null;
  ssvc_automatable: string | null;
  ssvc_value_density: string | null;
  ssvc_technical_impact: string | null;
  ssvc_public_safety_impact: string | null;
  exploited_in_wild: Generated<number>;
  exploitation_source: string | null;
  exploitation_reported_on: string | null;
  public_exploit: Generated<number>;
  exposure: string | null;
  effective_severity: Generated<string>;
  priority: Generated<string>;
  next_reminder_at: string | null;
  updated_at: string;
  updated_by: string | null;
}

export interface CaseCwesTable {
  case_id: string;
  cwe_id: number;
  added_at: string;
  added_by: string | null;
}

export interface SeverityPoliciesTable {
  project_id: string;
  policy: string;
  updated_at: string;
  updated_by: string | null;
}
