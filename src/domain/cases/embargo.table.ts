// Rows as stored (see db/schema.ts for the conventions). Embargoes and webhooks (migration 0005).
import type { Generated } from 'kysely';

export interface EmbargoPoliciesTable {
  project_id: string;
  policy: string;
  updated_at: string;
  updated_by: string | null;
}

export interface EmbargoesTable {
  case_id: string;
  project_id: string;
  state: string;
  release_at: string;
  distributor_notice_at: string | null;
  public_notice_at: string | null;
  prerelease_notice_at: string | null;
  retrospective_at: string | null;
  created_at: string;
  updated_at: string;
  // When each step of the timeline was done (migration 0006); null while it is still to come.
  distributor_notice_done_at: string | null;
  public_notice_done_at: string | null;
  prerelease_notice_done_at: string | null;
  released_at: string | null;
  retrospective_done_at: string | null;
}

export interface EmbargoRevisionsTable {
  id: string;
  case_id: string;
  at: string;
  actor_user_id: string | null;
  actor_label: string;
  previous_release_at: string | null;
  release_at: string;
  reason: string | null;
}

export interface WebhooksTable {
  id: string;
  project_id: string;
  url: string;
  secret_sealed: string;
  enabled: Generated<number>;
  created_at: string;
  created_by: string | null;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  project_id: string;
  event: string;
  payload: string;
  status: string;
  attempts: Generated<number>;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}
