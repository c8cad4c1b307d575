import type { App } from './app.js';

/** Listens on the configured port; the only place the web role opens a socket. */
export async function listen(app: App, options: { host: string; port: number }): Promise<string> {
  return app.listen({ host: options.host, port: options.port });
}
