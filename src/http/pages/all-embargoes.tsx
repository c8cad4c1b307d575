import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { embargoesOfProjects } from '../../domain/cases/embargo.service.js';
import { authorize } from '../../policies/policy.js';
import { requireUser } from '../plugins/auth.js';
import { byMonth, CalendarMonth } from './embargo-calendar.js';
import { requireSignIn } from './require-user.js';

// The calendar of every embargo across the projects the signed-in member belongs to: one table by
// month of release, so a team member in several projects sees every planned release and notice at
// once. Like the project calendar, it shows numbers, states and times, never a case's title.

/** GET /embargoes: a signed-in user's calendar over the projects they are a member of. */
export function allEmbargoesPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/embargoes', { preHandler: requireSignIn }, async (request, reply) => {
      const user = requireUser(request);
      const projectIds = [...user.roles.keys()];
      for (const projectId of projectIds) authorize(user, 'project.view', { projectId });
      const groups = byMonth(await embargoesOfProjects(deps.db, projectIds));
      return reply.page(
        <section>
          <h1>Embargo calendar</h1>
          <p class="muted">
            Every embargo of your {projectIds.length === 1 ? 'project' : `${projectIds.length} projects`}. Times in UTC,
            with your own beside them.
          </p>
          {groups.length === 0 ? <p class="muted">No embargo is planned in your projects.</p> : null}
          {groups.map((group) => (
            <CalendarMonth key={group.month} month={group.month} rows={group.rows} />
          ))}
        </section>,
        { title: 'Embargo calendar', scripts: ['local-time.js'] },
      );
    });
  };
}
