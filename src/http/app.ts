import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import { assetRoutes } from './assets.js';
import { authPlugin } from './plugins/auth.js';
import { csrfPlugin } from './plugins/csrf.js';
import { errorsPlugin } from './plugins/errors.js';
import { headersPlugin } from './plugins/headers.js';
import { registerRoutes } from './routes.js';
import { renderPlugin } from './views/render.js';

export type App = FastifyInstance;

/** A route as registered: its method and URL pattern (`/p/:slug/inbox`). */
export interface RouteEntry {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the app, in registration order; test/policies/route-matrix.test.ts checks each has a row. */
    routeList: readonly RouteEntry[];
  }
}

/**
 * Builds the web application. Route modules that declare TypeBox schemas take
 * `app.withTypeProvider<TypeBoxTypeProvider>()` themselves.
 *
 * It never listens (server.ts does); tests use inject or a port.
 */
export async function buildApp(deps: Deps): Promise<App> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    trustProxy: deps.config.trustProxy,
    bodyLimit: 1024 * 1024,
    // Report ids and slugs only; long URLs are refused instead of parsed.
    routerOptions: { maxParamLength: 200 },
  });

  // Recorded before any route exists, so none escapes the authorization matrix test.
  const routeList: RouteEntry[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routeList.push({ method, url: route.url });
  });

  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 1024 * 1024 });
  // multipart/form-data is parsed only by the route modules that take uploads (multipart-form.ts):
  // elsewhere a multipart body is refused (415) before any of it is read.

  // Hooks and decorators go on the root instance so every route module sees them.
  await errorsPlugin(app);
  await headersPlugin(app);
  await authPlugin(deps)(app);
  await csrfPlugin(deps)(app);
  await renderPlugin(deps)(app);

  await app.register(assetRoutes);
  app.get('/healthz', async () => ({ ok: true }));
  await registerRoutes(app, deps);
  return app;
}
