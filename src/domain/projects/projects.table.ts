// Rows as stored (see db/schema.ts for the conventions).
import type { Generated } from 'kysely';

export interface ProjectsTable {
  id: string;
  slug: string;
  name: string;
  repository_url: string | null;
  security_contact: string | null;
  ack_target_hours: Generated<number>;
  ack_template: string | null;
  created_at: string;
  updated_at: string;
}

export interface ReleaseBranchesTable {
  id: string;
  project_id: string;
  name: string;
  end_of_support: string | null;
  created_at: string;
}

export interface MembershipsTable {
  project_id: string;
  user_id: string;
  role: string;
  created_at: string;
}
