import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { addBranch, removeBranch, updateBranch } from '../../domain/projects/branches.service.js';
import { addMemberByEmail, removeMember, setMemberRole } from '../../domain/projects/members.service.js';
import type { Member, Project } from '../../domain/projects/projects.js';
import { listBranches, listMembers, requireProject, updateProject } from '../../domain/projects/projects.service.js';
import type { DomainError } from '../../errors.js';
import { authorize, can, type Subject } from '../../policies/policy.js';
import { requireUser } from '../plugins/auth.js';
import { field, formFailure, wholeNumber } from './forms.js';
import { BranchesPage, MembersPage, SettingsForm, settingsValues, type Values } from './project-settings-views.js';
import { requireSignIn } from './require-user.js';

// One params shape for every route here; `id` and `userId` exist on the branch and member routes.
type Params = { slug: string; id?: string; userId?: string };
type Req = FastifyRequest<{ Params: Params }>;

/** What the members' policy needs to know: whether the project has an admin (enabled or not). */
function membersSubject(project: Project, members: Member[]): Subject {
  return { projectId: project.id, projectHasAdmin: members.some((m) => m.role === 'admin') };
}

/**
 * A project's settings and release branches, for its admins and instance admins; its members list
 * too, but only the project's admins change members (instance admins only while it has no admin).
 */
export function projectSettingsPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('preHandler', requireSignIn);

    /** The project of the URL, once the actor may manage it. */
    const managed = async (request: Req): Promise<Project> => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'project.manage', { projectId: project.id });
      return project;
    };
    /** The project of the URL, once the actor may change its members. */
    const membersManaged = async (request: Req): Promise<Project> => {
      const project = await managed(request);
      authorize(
        request.actor,
        'project.members.manage',
        membersSubject(project, await listMembers(deps.db, project.id)),
      );
      return project;
    };
    const by = (request: FastifyRequest) => ({ actor: request.actor, origin: request.origin });
    const tx = <T,>(fn: (trx: Trx) => Promise<T>): Promise<T> => deps.db.transaction().execute(fn);
    const status = (s: number | undefined) => (s ? { status: s } : {});

    const branchesPage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      extra: { values?: Values; error?: DomainError } = {},
      s?: number,
    ) =>
      reply.page(
        <BranchesPage
          csrf={request.csrfToken()}
          project={project}
          branches={await listBranches(deps.db, project.id)}
          {...extra}
        />,
        {
          title: `${project.name}: branches`,
          ...status(s),
        },
      );
    const membersPage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      extra: { values?: Values; error?: DomainError } = {},
      s?: number,
    ) => {
      const members = await listMembers(deps.db, project.id);
      return reply.page(
        <MembersPage
          csrf={request.csrfToken()}
          project={project}
          members={members}
          canChange={can(request.actor, 'project.members.manage', membersSubject(project, members))}
          {...extra}
        />,
        {
          title: `${project.name}: members`,
          ...status(s),
        },
      );
    };

    app.get<{ Params: Params }>('/p/:slug/settings', async (request, reply) => {
      const project = await managed(request);
      const saved = field(request.query, 'saved') === '1';
      return reply.page(
        <SettingsForm csrf={request.csrfToken()} project={project} values={settingsValues(project)} saved={saved} />,
        {
          title: `${project.name}: settings`,
        },
      );
    });

    app.post<{ Params: Params }>('/p/:slug/settings', async (request, reply) => {
      const project = await managed(request);
      const names = ['name', 'repositoryUrl', 'securityContact', 'ackTargetHours', 'ackTemplate'];
      const values: Values = Object.fromEntries(names.map((n) => [n, field(request.body, n)]));
      try {
        await tx((trx) =>
          updateProject(trx, deps.clock, {
            by: by(request),
            projectId: project.id,
            input: {
              name: values.name ?? '',
              repositoryUrl: values.repositoryUrl?.trim() || null,
              securityContact: values.securityContact?.trim() || null,
              ackTargetHours: wholeNumber(values.ackTargetHours ?? '') ?? Number.NaN,
              ackTemplate: values.ackTemplate ?? null,
            },
          }),
        );
      } catch (err) {
        const { error, status: s } = formFailure(request, err);
        return reply.page(<SettingsForm csrf={request.csrfToken()} project={project} values={values} error={error} />, {
          title: `${project.name}: settings`,
          status: s,
        });
      }
      return reply.redirect(`/p/${project.slug}/settings?saved=1`, 303);
    });

    app.get<{ Params: Params }>('/p/:slug/settings/branches', async (request, reply) =>
      branchesPage(request, reply, await managed(request)),
    );

    /** Runs a branch or member change, then back to its page; a refusal re-renders the page with the message. */
    const change =
      (
        page: typeof branchesPage,
        guard: (request: Req) => Promise<Project>,
        run: (request: Req, project: Project) => Promise<string>,
      ) =>
      async (request: Req, reply: FastifyReply) => {
        const project = await guard(request);
        const values: Values = Object.fromEntries(
          ['name', 'endOfSupport', 'email', 'role'].map((n) => [n, field(request.body, n)]),
        );
        try {
          return reply.redirect(await run(request, project), 303);
        } catch (err) {
          const { error, status: s } = formFailure(request, err);
          if (error.code === 'NOT_FOUND') throw error;
          return page(request, reply, project, { values, error }, s);
        }
      };

    app.post<{ Params: Params }>(
      '/p/:slug/settings/branches',
      change(branchesPage, managed, async (request, project) => {
        await tx((trx) =>
          addBranch(trx, deps.clock, {
            by: by(request),
            projectId: project.id,
            name: field(request.body, 'name'),
            endOfSupport: field(request.body, 'endOfSupport'),
          }),
        );
        return `/p/${project.slug}/settings/branches`;
      }),
    );
    app.post<{ Params: Params }>(
      '/p/:slug/settings/branches/:id',
      change(branchesPage, managed, async (request, project) => {
        const branchId = request.params.id ?? '';
        await tx((trx) =>
          updateBranch(trx, deps.clock, {
            by: by(request),
            projectId: project.id,
            branchId,
            endOfSupport: field(request.body, 'endOfSupport'),
          }),
        );
        return `/p/${project.slug}/settings/branches`;
      }),
    );
    app.post<{ Params: Params }>(
      '/p/:slug/settings/branches/:id/remove',
      change(branchesPage, managed, async (request, project) => {
        const branchId = request.params.id ?? '';
        await tx((trx) => removeBranch(trx, deps.clock, { by: by(request), projectId: project.id, branchId }));
        return `/p/${project.slug}/settings/branches`;
      }),
    );

    app.get<{ Params: Params }>('/p/:slug/settings/members', async (request, reply) =>
      membersPage(request, reply, await managed(request)),
    );
    app.post<{ Params: Params }>(
      '/p/:slug/settings/members',
      change(membersPage, membersManaged, async (request, project) => {
        await tx((trx) =>
          addMemberByEmail(trx, deps.clock, {
            by: by(request),
            projectId: project.id,
            email: field(request.body, 'email'),
            role: field(request.body, 'role'),
          }),
        );
        return `/p/${project.slug}/settings/members`;
      }),
    );
    app.post<{ Params: Params }>(
      '/p/:slug/settings/members/:userId/role',
      change(membersPage, membersManaged, async (request, project) => {
        const userId = request.params.userId ?? '';
        await tx((trx) =>
          setMemberRole(trx, deps.clock, {
            by: by(request),
            projectId: project.id,
            userId,
            role: field(request.body, 'role'),
          }),
        );
        // Someone who just gave up their own admin role may no longer see this page.
        return userId === requireUser(request).userId ? '/projects' : `/p/${project.slug}/settings/members`;
      }),
    );
    app.post<{ Params: Params }>(
      '/p/:slug/settings/members/:userId/remove',
      change(membersPage, membersManaged, async (request, project) => {
        const userId = request.params.userId ?? '';
        await tx((trx) => removeMember(trx, deps.clock, { by: by(request), projectId: project.id, userId }));
        return userId === requireUser(request).userId ? '/projects' : `/p/${project.slug}/settings/members`;
      }),
    );
  };
}
