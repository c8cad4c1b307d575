// Rows as stored (see db/schema.ts for the conventions). The retrospective (migration 0006).

export interface RetrospectivesTable {
  case_id: string;
  project_id: string;
  body: string;
  drafted_at: string;
  updated_at: string;
  updated_by: string | null;
}
