import type { FastifyInstance, FastifyReply } from 'fastify';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { Deps } from '../../deps.js';
import { Layout } from './layout.js';

export interface PageOptions {
  title: string;
  /** HTTP status; 200 unless given. */
  status?: number;
  /** Extra enhancement scripts from /assets/ (file names), loaded after app.js; pages work without them. */
  scripts?: readonly string[];
  /** Extra stylesheets from /assets/ (file names), after app.css. */
  styles?: readonly string[];
  /** Atom feeds the page announces in its head. */
  feeds?: readonly { title: string; href: string }[];
}

declare module 'fastify' {
  interface FastifyReply {
    /** Renders a page inside the layout; JSX escapes every interpolated value. */
    page(body: VNode, options: PageOptions): FastifyReply;
  }
}

export function renderPlugin(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.decorateReply('page', function page(this: FastifyReply, body: VNode, options: PageOptions): FastifyReply {
      const request = this.request;
      const html = renderToString(
        Layout({
          title: options.title,
          actor: request.actor,
          csrfToken: request.actor?.kind === 'user' ? request.csrfToken() : '',
          instanceName: deps.config.publicUrl.host,
          children: body,
          scripts: options.scripts ?? [],
          styles: options.styles ?? [],
          feeds: options.feeds ?? [],
        }),
      );
      if (options.status) this.status(options.status);
      return this.type('text/html; charset=utf-8').send(`<!doctype html>\n${html}`);
    });
  };
}
