// Rows as stored (see db/schema.ts for the conventions).
export interface AuditLogTable {
  id: string;
  at: string;
  actor_kind: string;
  actor_user_id: string | null;
  actor_label: string;
  project_id: string | null;
  action: string;
  subject_type: string;
  subject_id: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
}
