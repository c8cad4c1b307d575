// Rows as stored (see db/schema.ts for the conventions).
import type { Generated } from 'kysely';

export interface JobsTable {
  id: string;
  kind: string;
  payload: string;
  run_at: string;
  attempts: Generated<number>;
  max_attempts: number;
  claimed_by: string | null;
  lock_expires_at: string | null;
  completed_at: string | null;
  failed_at: string | null;
  last_error: string | null;
  created_at: string;
}
