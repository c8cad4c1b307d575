import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { listProjects, setUpProject } from '../../domain/projects/projects.service.js';
import type { SetupLink } from '../../domain/users/setup.service.js';
import {
  inviteUser,
  resendSetupLink,
  setInstanceAdmin,
  setUserDisabled,
} from '../../domain/users/user-admin.service.js';
import type { User } from '../../domain/users/users.js';
import { listUsers } from '../../domain/users/users.service.js';
import { authorize } from '../../policies/policy.js';
import { requireUser } from '../plugins/auth.js';
import { AdminNav, ProjectsPage, type ProjectsProps, UsersPage, type UsersProps, type Values } from './admin-views.js';
import { checkbox, field, formFailure, wholeNumber } from './forms.js';
import { requireSignIn } from './require-user.js';

// Instance administration: accounts and projects. Instance admins do not thereby read any
// project's reports (see policies/policy.ts); they only create and configure.

export function adminPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    // Every route of this module: sign in first, then the instance.manage policy.
    app.addHook('preHandler', requireSignIn);
    app.addHook('preHandler', async (request) => authorize(request.actor, 'instance.manage', { projectId: null }));

    const tx = <T,>(fn: (trx: Trx) => Promise<T>): Promise<T> => deps.db.transaction().execute(fn);
    const by = (request: FastifyRequest) => ({ actor: request.actor, origin: request.origin });
    const usersPage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      props: Partial<UsersProps>,
      status?: number,
    ) =>
      reply.page(
        <UsersPage
          csrf={request.csrfToken()}
          users={await listUsers(deps.db)}
          meId={requireUser(request).userId}
          {...props}
        />,
        { title: 'Users', ...(status ? { status } : {}) },
      );
    const projectsPage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      props: Partial<ProjectsProps>,
      status?: number,
    ) =>
      reply.page(<ProjectsPage csrf={request.csrfToken()} projects={await listProjects(deps.db)} {...props} />, {
        title: 'Projects',
        ...(status ? { status } : {}),
      });

    app.get('/admin', async (_request, reply) => {
      const [users, projects] = await Promise.all([listUsers(deps.db), listProjects(deps.db)]);
      return reply.page(
        <section>
          <AdminNav />
          <h1>Instance administration</h1>
          <ul>
            <li>
              <a href="/admin/users">{users.length} users</a>
              {users.some((u) => !u.hasPassword) ? (
                <span class="muted"> ({users.filter((u) => !u.hasPassword).length} have not set a password yet)</span>
              ) : null}
            </li>
            <li>
              <a href="/admin/projects">{projects.length} projects</a>
            </li>
          </ul>
        </section>,
        { title: 'Admin' },
      );
    });

    app.get('/admin/users', async (request, reply) => usersPage(request, reply, {}));

    app.post('/admin/users', async (request, reply) => {
      const values = {
        email: field(request.body, 'email'),
        name: field(request.body, 'name'),
        isInstanceAdmin: checkbox(request.body, 'isInstanceAdmin') ? '1' : '',
      };
      try {
        const created = await tx((trx) =>
          inviteUser(trx, deps, {
            by: by(request),
            email: values.email,
            name: values.name,
            isInstanceAdmin: values.isInstanceAdmin === '1',
          }),
        );
        return usersPage(request, reply, { created });
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return usersPage(request, reply, { error, values }, status);
      }
    });

    // One handler per button, each a POST with the CSRF field; the result shows on the users page.
    const userAction = (
      path: string,
      run: (request: FastifyRequest, userId: string) => Promise<{ user: User; link: SetupLink | null } | undefined>,
    ) =>
      app.post<{ Params: { id: string } }>(`/admin/users/:id/${path}`, async (request, reply) => {
        try {
          const created = await run(request, request.params.id);
          return created ? usersPage(request, reply, { created }) : reply.redirect('/admin/users', 303);
        } catch (err) {
          const { error, status } = formFailure(request, err);
          if (error.code === 'NOT_FOUND') throw error;
          return usersPage(request, reply, { error }, status);
        }
      });

    userAction('disable', async (request, userId) => {
      await tx((trx) => setUserDisabled(trx, deps, { by: by(request), userId, disabled: true }));
      return undefined;
    });
    userAction('enable', async (request, userId) => {
      await tx((trx) => setUserDisabled(trx, deps, { by: by(request), userId, disabled: false }));
      return undefined;
    });
    userAction('instance-admin', async (request, userId) => {
      const isInstanceAdmin = field(request.body, 'grant') === '1';
      await tx((trx) => setInstanceAdmin(trx, deps, { by: by(request), userId, isInstanceAdmin }));
      return undefined;
    });
    userAction('setup-link', (request, userId) => tx((trx) => resendSetupLink(trx, deps, { by: by(request), userId })));

    app.get('/admin/projects', async (request, reply) => projectsPage(request, reply, {}));

    app.post('/admin/projects', async (request, reply) => {
      const names = ['name', 'slug', 'repositoryUrl', 'securityContact', 'ackTargetHours', 'initialAdminEmail'];
      const values: Values = Object.fromEntries(names.map((n) => [n, field(request.body, n).trim()]));
      try {
        const project = await tx((trx) =>
          setUpProject(trx, deps.clock, {
            by: by(request),
            input: {
              slug: values.slug ?? '',
              name: values.name ?? '',
              repositoryUrl: values.repositoryUrl || null,
              securityContact: values.securityContact || null,
              ackTargetHours: wholeNumber(values.ackTargetHours ?? ''),
            },
            initialAdminEmail: values.initialAdminEmail,
          }),
        );
        return reply.redirect(`/p/${project.slug}/settings`, 303);
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return projectsPage(request, reply, { error, values }, status);
      }
    });
  };
}
