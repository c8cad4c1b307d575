import type { Generated } from 'kysely';
// Rows as stored (see db/schema.ts for the conventions). Fix coordination (migration 0004).

export interface CaseTeamTable {
  case_id: string;
  user_id: string;
  added_at: string;
  added_by: string | null;
}

export interface CaseCollaboratorsTable {
  id: string;
  case_id: string;
  project_id: string;
  user_id: string;
  invited_by: string | null;
  invited_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

export interface CaseBranchesTable {
  case_id: string;
  branch_id: string;
  status: string;
  fixed_version: string | null;
  updated_at: string;
  updated_by: string | null;
}

export interface CasePackagesTable {
  id: string;
  case_id: string;
  ecosystem: string;
  name: string;
  purl: string | null;
  created_at: string;
  /** JSON array of versions listed one by one (migration 0007). */
  versions: Generated<string>;
}

export interface PackageRangesTable {
  id: string;
  package_id: string;
  branch_id: string | null;
  introduced: string;
  fixed: string | null;
  last_affected: string | null;
  created_at: string;
}

export interface PatchesTable {
  id: string;
  case_id: string;
  branch_id: string;
  filename: string;
  kind: string;
  content: string;
  sha256: string;
  status: string;
  uploaded_by: string | null;
  uploaded_at: string;
}

export interface PatchReviewsTable {
  id: string;
  patch_id: string;
  reviewer_id: string | null;
  verdict: string;
  comment: string | null;
  at: string;
}
