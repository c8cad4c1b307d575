import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import { homePages } from './pages/home.js';
import { outgoingMailPages } from './pages/outgoing-mail.js';

/** Every route module, in one list. */
export async function registerRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  await app.register(homePages(deps));
  await app.register(outgoingMailPages(deps));
}
