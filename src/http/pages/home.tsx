import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { listProjects } from '../../domain/projects/projects.service.js';

/** The landing page: public links to each project's report form, and the team's way in. */
export function homePages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/', async (request, reply) => {
      const projects = await listProjects(deps.db);
      return reply.page(
        <section>
          <h1>Report a security vulnerability</h1>
          <p>
            Reports are private: only the project's security team sees them. You need no account, and you get a private
            link to follow your report.
          </p>
          <ul>
            {projects.map((p) => (
              <li key={p.id}>
                <a href={`/p/${p.slug}/report`}>{p.name}</a>
              </li>
            ))}
          </ul>
          <p>
            <a href="/advisories">Published security advisories</a> of every project.
          </p>
          {request.actor.kind === 'user' ? (
            <p>
              <a href="/projects">Go to your projects</a>
            </p>
          ) : null}
        </section>,
        { title: 'Embargo' },
      );
    });
  };
}
