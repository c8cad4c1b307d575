// Rows as stored (see db/schema.ts for the conventions).
import type { Generated } from 'kysely';

export interface CasesTable {
  id: string;
  project_id: string;
  number: number;
  title: string;
  state: string;
  embargoed: Generated<number>;
  created_by: string | null;
  owner_id: string | null;
  fix_lead_id: string | null;
  embargo_broken_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface CaseHistoryTable {
  id: string;
  case_id: string;
  project_id: string;
  at: string;
  actor_user_id: string | null;
  actor_label: string;
  change: string;
  previous: string | null;
  value: string | null;
  reason: string | null;
}
