import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { listProjects } from '../../domain/projects/projects.service.js';
import { can } from '../../policies/policy.js';
import { requireUser } from '../plugins/auth.js';
import { requireSignIn } from './require-user.js';
import { casesSharedWith } from '../../domain/cases/collaborators.service.js';
import { SharedCasesList } from './case-collaborators.js';

/** The signed-in user's projects, each with its inbox and, for its admins, its settings. */
export function projectsPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/projects', { preHandler: requireSignIn }, async (request, reply) => {
      const actor = requireUser(request);
      const projects = await listProjects(deps.db, { ids: [...actor.roles.keys()] });
      const shared = await casesSharedWith(deps.db, actor.userId);
      return reply.page(
        <section>
          <h1>Your projects</h1>
          {projects.length === 0 ? (
            <p class="muted">
              You are not a member of any project{shared.length > 0 ? '' : ' yet. A project admin can add you'}.
            </p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Project</th>
                  <th>Your role</th>
                  <th>
                    <span class="sr-only">Links</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {projects.map((p) => (
                  <tr key={p.id}>
                    <td>
                      <a href={`/p/${p.slug}/inbox`}>{p.name}</a>
                    </td>
                    <td>
                      <span class="badge">{actor.roles.get(p.id)}</span>
                    </td>
                    <td class="actions">
                      <a href={`/p/${p.slug}/inbox`}>Inbox</a>
                      {can(actor, 'project.manage', { projectId: p.id }) ? (
                        <a href={`/p/${p.slug}/settings`}>Settings</a>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <SharedCasesList cases={shared} />
          {can(actor, 'instance.manage', { projectId: null }) ? (
            <p>
              <a href="/admin/projects">All projects on this instance</a>
            </p>
          ) : null}
        </section>,
        { title: 'Projects' },
      );
    });
  };
}
