import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import { homePages } from './pages/home.js';

/** Every route module, in one list. */
export async function registerRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  await app.register(homePages(deps));
}
