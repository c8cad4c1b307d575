// The database as Kysely sees it, composed from each area's table file. Rows are snake_case,
// ISO-8601 text timestamps, 0/1 integers for booleans and JSON as text; they never leave the
// repositories and services, which map them to domain types.

import type {
  AdvisoriesTable,
  AdvisoryRevisionsTable,
  CveIdsTable,
  ProjectSecuritySettingsTable,
} from '../domain/advisories/advisories.table.js';
import type {
  AnnouncementDeliveriesTable,
  AnnouncementsTable,
  AnnouncementTemplatesTable,
  ListSubscriptionsTable,
  MailingListsTable,
} from '../domain/announcements/announcements.table.js';
import type { AuditLogTable } from '../domain/audit/audit.table.js';
import type { CaseHistoryTable, CasesTable } from '../domain/cases/cases.table.js';
import type {
  EmbargoesTable,
  EmbargoPoliciesTable,
  EmbargoRevisionsTable,
  WebhookDeliveriesTable,
  WebhooksTable,
} from '../domain/cases/embargo.table.js';
import type {
  CaseBranchesTable,
  CaseCollaboratorsTable,
  CasePackagesTable,
  CaseTeamTable,
  PackageRangesTable,
  PatchesTable,
  PatchReviewsTable,
} from '../domain/cases/fix.table.js';
import type {
  DistributorAcceptancesTable,
  DistributorContactsTable,
  DistributorMessagesTable,
  DistributorNoticesTable,
  DistributorProgramsTable,
  DistributorRecipientsTable,
  DistributorsTable,
} from '../domain/distributors/distributors.table.js';
import type { RetrospectivesTable } from '../domain/release/release.table.js';
import type { CaseCwesTable, CaseSeverityTable, SeverityPoliciesTable } from '../domain/severity/severity.table.js';
import type { InstanceSettingsTable, RateLimitCountersTable } from '../domain/instance/instance.table.js';
import type { MembershipsTable, ProjectsTable, ReleaseBranchesTable } from '../domain/projects/projects.table.js';
import type { AttachmentsTable, ReportEntriesTable, ReportsTable } from '../domain/reports/reports.table.js';
import type {
  ApiTokensTable,
  LoginFailuresTable,
  PasswordTokensTable,
  SessionsTable,
  UsersTable,
} from '../domain/users/users.table.js';
import type {
  ImapAccountsTable,
  InboundMessagesTable,
  IntakeAddressesTable,
} from '../domain/mail-intake/mail-intake.table.js';
import type { ProjectPgpKeysTable } from '../domain/pgp/pgp.table.js';
import type {
  DependentAlertsTable,
  DependentsTable,
  FindingsTable,
  InventoriesTable,
  InventoryPackagesTable,
  VulnPackagesTable,
  VulnsTable,
} from '../domain/scan/scan.table.js';
import type { JobsTable } from '../jobs/jobs.table.js';
import type { OutboundEmailAttachmentsTable, OutboundEmailsTable } from '../mail/outbox.table.js';

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
  intake_addresses: IntakeAddressesTable;
  imap_accounts: ImapAccountsTable;
  inbound_messages: InboundMessagesTable;
  project_pgp_keys: ProjectPgpKeysTable;
  case_severity: CaseSeverityTable;
  case_cwes: CaseCwesTable;
  case_history: CaseHistoryTable;
  severity_policies: SeverityPoliciesTable;
  api_tokens: ApiTokensTable;
  case_team: CaseTeamTable;
  case_collaborators: CaseCollaboratorsTable;
  case_branches: CaseBranchesTable;
  case_packages: CasePackagesTable;
  package_ranges: PackageRangesTable;
  patches: PatchesTable;
  patch_reviews: PatchReviewsTable;
  embargo_policies: EmbargoPoliciesTable;
  embargoes: EmbargoesTable;
  embargo_revisions: EmbargoRevisionsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  advisories: AdvisoriesTable;
  distributor_programs: DistributorProgramsTable;
  distributors: DistributorsTable;
  distributor_contacts: DistributorContactsTable;
  distributor_acceptances: DistributorAcceptancesTable;
  distributor_notices: DistributorNoticesTable;
  distributor_recipients: DistributorRecipientsTable;
  distributor_messages: DistributorMessagesTable;
  mailing_lists: MailingListsTable;
  list_subscriptions: ListSubscriptionsTable;
  announcement_templates: AnnouncementTemplatesTable;
  announcements: AnnouncementsTable;
  announcement_deliveries: AnnouncementDeliveriesTable;
  retrospectives: RetrospectivesTable;
  outbound_email_attachments: OutboundEmailAttachmentsTable;
  advisory_revisions: AdvisoryRevisionsTable;
  cve_ids: CveIdsTable;
  vulns: VulnsTable;
  vuln_packages: VulnPackagesTable;
  dependents: DependentsTable;
  inventories: InventoriesTable;
  inventory_packages: InventoryPackagesTable;
  findings: FindingsTable;
  dependent_alerts: DependentAlertsTable;
  project_security_settings: ProjectSecuritySettingsTable;
}
