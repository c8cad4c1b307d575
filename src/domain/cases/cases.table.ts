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
  created_at: string;
  updated_at: string;
}
