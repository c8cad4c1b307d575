import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import { registerOpenApi } from './api/openapi.js';
import { reportsApi } from './api/reports.api.js';
import { statusApi } from './api/status.api.js';
import { adminPages } from './pages/admin.js';
import { authPages } from './pages/auth.js';
import { homePages } from './pages/home.js';
import { outgoingMailPages } from './pages/outgoing-mail.js';
import { projectSettingsPages } from './pages/project-settings.js';
import { projectsPages } from './pages/projects.js';
import { reportFormPages } from './pages/report-form.js';
import { statusPages } from './pages/status.js';

/** Every route module, in one list. */
export async function registerRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  // First: the OpenAPI generator records the routes registered after it.
  await registerOpenApi(app);
  await app.register(homePages(deps));
  await app.register(authPages(deps));
  await app.register(projectsPages(deps));
  await app.register(adminPages(deps));
  await app.register(projectSettingsPages(deps));
  await app.register(outgoingMailPages(deps));
  await app.register(reportFormPages(deps));
  await app.register(statusPages(deps));
  await app.register(reportsApi(deps));
  await app.register(statusApi(deps));
}
