import type { Generated } from 'kysely';

// Row types as stored: snake_case, ISO-8601 text timestamps, 0/1 integers for booleans, JSON as
// text. They never leave the repositories and services; domain types are separate.

export interface InstanceSettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  is_instance_admin: Generated<number>;
  disabled: Generated<number>;
  away: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface PasswordTokensTable {
  token_hash: string;
  user_id: string | null;
  purpose: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
}

export interface LoginFailuresTable {
  id: string;
  email: string;
  ip: string;
  at: string;
}

export interface RateLimitCountersTable {
  bucket: string;
  window_start: string;
  count: number;
}

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

export interface ReportsTable {
  id: string;
  project_id: string;
  tracking_id: string;
  status_token_hash: string;
  source: string;
  title: string;
  description: string;
  affected_versions: string | null;
  reproduction: string | null;
  impact: string | null;
  reporter_name: string | null;
  reporter_email: string | null;
  credit: string;
  status: string;
  close_reason: string | null;
  duplicate_of_id: string | null;
  case_id: string | null;
  received_at: string;
  ack_due_at: string;
  acknowledged_at: string | null;
  closed_at: string | null;
  last_activity_at: string;
  updated_at: string;
}

export interface ReportEntriesTable {
  id: string;
  report_id: string;
  kind: string;
  visibility: string;
  author_kind: string;
  author_user_id: string | null;
  body: string | null;
  status_from: string | null;
  status_to: string | null;
  detail: string | null;
  created_at: string;
}

export interface AttachmentsTable {
  id: string;
  report_id: string;
  entry_id: string | null;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  content: Buffer;
  created_at: string;
}

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

export interface OutboundEmailsTable {
  id: string;
  project_id: string | null;
  report_id: string | null;
  message_id: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string;
  template: string;
  status: string;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

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

export interface DB {
  instance_settings: InstanceSettingsTable;
  users: UsersTable;
  password_tokens: PasswordTokensTable;
  sessions: SessionsTable;
  login_failures: LoginFailuresTable;
  rate_limit_counters: RateLimitCountersTable;
  projects: ProjectsTable;
  release_branches: ReleaseBranchesTable;
  memberships: MembershipsTable;
  cases: CasesTable;
  reports: ReportsTable;
  report_entries: ReportEntriesTable;
  attachments: AttachmentsTable;
  jobs: JobsTable;
  outbound_emails: OutboundEmailsTable;
  audit_log: AuditLogTable;
}
