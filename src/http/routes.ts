import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import { adminPages } from './pages/admin.js';
import { authPages } from './pages/auth.js';
import { homePages } from './pages/home.js';
import { outgoingMailPages } from './pages/outgoing-mail.js';
import { projectSettingsPages } from './pages/project-settings.js';
import { projectsPages } from './pages/projects.js';

/** Every route module, in one list. */
export async function registerRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  await app.register(homePages(deps));
  await app.register(authPages(deps));
  await app.register(projectsPages(deps));
  await app.register(adminPages(deps));
  await app.register(projectSettingsPages(deps));
  await app.register(outgoingMailPages(deps));
}
