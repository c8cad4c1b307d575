import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import { registerOpenApi } from './api/openapi.js';
import { casesApi } from './api/cases.api.js';
import { cvssApi } from './api/cvss.api.js';
import { cweApi } from './api/cwe.api.js';
import { reportsApi } from './api/reports.api.js';
import { severityPolicyApi } from './api/severity-policy.api.js';
import { statusApi } from './api/status.api.js';
import { accountPages } from './pages/account.js';
import { adminPages } from './pages/admin.js';
import { auditPages } from './pages/audit.js';
import { authPages } from './pages/auth.js';
import { casePages } from './pages/cases.js';
import { homePages } from './pages/home.js';
import { imapSettingsPages } from './pages/imap-settings.js';
import { inboundMailPages } from './pages/inbound-mail.js';
import { inboxPages } from './pages/inbox.js';
import { mailSettingsPages } from './pages/mail-settings.js';
import { outgoingMailPages } from './pages/outgoing-mail.js';
import { pgpSettingsPages } from './pages/pgp-settings.js';
import { projectSettingsPages } from './pages/project-settings.js';
import { projectsPages } from './pages/projects.js';
import { reportFormPages } from './pages/report-form.js';
import { severitySettingsPages } from './pages/severity-settings.js';
import { teamReportPages } from './pages/report-team.js';
import { statusPages } from './pages/status.js';
import { statusHelpPages } from './pages/status-help.js';

/** Every route module, in one list. */
export async function registerRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  // First: the OpenAPI generator records the routes registered after it.
  await registerOpenApi(app);
  await app.register(homePages(deps));
  await app.register(authPages(deps));
  await app.register(accountPages(deps));
  await app.register(projectsPages(deps));
  await app.register(adminPages(deps));
  await app.register(projectSettingsPages(deps));
  await app.register(imapSettingsPages(deps));
  await app.register(outgoingMailPages(deps));
  await app.register(pgpSettingsPages(deps));
  await app.register(inboundMailPages(deps));
  await app.register(mailSettingsPages(deps));
  await app.register(severitySettingsPages(deps));
  await app.register(inboxPages(deps));
  await app.register(teamReportPages(deps));
  await app.register(casePages(deps));
  await app.register(auditPages(deps));
  await app.register(statusHelpPages());
  await app.register(reportFormPages(deps));
  await app.register(statusPages(deps));
  await app.register(reportsApi(deps));
  await app.register(statusApi(deps));
  await app.register(casesApi(deps));
  await app.register(severityPolicyApi(deps));
  await app.register(cvssApi(deps));
  await app.register(cweApi(deps));
}
