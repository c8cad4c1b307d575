import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import {
  acceptTerms,
  addContact,
  addDistributor,
  listDistributors,
  removeContact,
  removeDistributor,
  requireDistributor,
} from '../../domain/distributors/distributors.service.js';
import { getProgram, updateProgram } from '../../domain/distributors/program.service.js';
import {
  acceptancesOfDistributor,
  noticeCountsOfProject,
  noticesOfDistributor,
} from '../../domain/distributors/settings.repository.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { DomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { DistributorPage, DistributorsPage, type Refused } from './distributor-settings-views.js';
import { field, formFailure } from './forms.js';
import type { Values } from './project-settings-views.js';
import { requireSignIn } from './require-user.js';

// A project's distributor programme (project.distributors.manage: its admins only, not instance
// admins, since adding a distributor grants it every embargoed case's draft and patches).

type Params = { slug: string; id?: string; contactId?: string };
type Req = FastifyRequest<{ Params: Params }>;

const NOTICES: Record<string, string> = {
  saved: 'The programme is saved.',
  terms:
    'The programme is saved with new terms: no distributor has accepted them yet, so none is notified of a new case until it does.',
  removed: 'The distributor is removed: its contacts no longer see its notices.',
};
const DISTRIBUTOR_NOTICES: Record<string, string> = {
  added: 'Distributor added. Add its contacts and record its acceptance of the terms: until then it is not notified.',
  contact:
    'Contact added: a welcome mail with the portal address (and, for a new account, a link to choose a password) is on its way.',
  'contact-removed': 'Contact removed: they no longer see this distributor’s notices.',
  accepted: 'Acceptance recorded.',
};
const shownOf = (query: unknown, notices: Record<string, string>) => {
  const key = Object.keys(notices).find((k) => field(query, k) === '1');
  return key ? notices[key] : undefined;
};

/** The routes of /p/:slug/settings/distributors. */
export function distributorSettingsPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('preHandler', requireSignIn);
    const by = (request: FastifyRequest) => ({ actor: request.actor, origin: request.origin });
    const base = (project: Project) => `/p/${project.slug}/settings/distributors`;

    const managed = async (request: Req): Promise<Project> => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'project.distributors.manage', { projectId: project.id });
      return project;
    };

    const listPage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      extra: { programRefused?: Refused; adding?: Refused; notice?: string; status?: number } = {},
    ) => {
      const [program, distributors, noticeCounts] = await Promise.all([
        getProgram(deps.db, project.id),
        listDistributors(deps.db, project.id),
        noticeCountsOfProject(deps.db, project.id),
      ]);
      return reply.page(
        <DistributorsPage
          csrf={request.csrfToken()}
          project={project}
          program={program}
          distributors={distributors}
          noticeCounts={noticeCounts}
          programRefused={extra.programRefused}
          adding={extra.adding}
          notice={extra.notice}
        />,
        { title: `${project.name}: distributors`, ...(extra.status ? { status: extra.status } : {}) },
      );
    };

    const distributorPage = async (
      request: Req,
      reply: FastifyReply,
      project: Project,
      extra: { contactRefused?: Refused; acceptRefused?: Refused; notice?: string; status?: number } = {},
    ) => {
      const distributor = await requireDistributor(deps.db, project.id, request.params.id ?? '');
      const [program, acceptances, notices] = await Promise.all([
        getProgram(deps.db, project.id),
        acceptancesOfDistributor(deps.db, distributor.id),
        noticesOfDistributor(deps.db, distributor.id),
      ]);
      return reply.page(
        <DistributorPage
          csrf={request.csrfToken()}
          project={project}
          program={program}
          distributor={distributor}
          acceptances={acceptances}
          notices={notices}
          {...extra}
        />,
        { title: `${project.name}: ${distributor.name}`, ...(extra.status ? { status: extra.status } : {}) },
      );
    };

    /** Runs a change; a refusal re-renders the form it came from with what was typed and the error's status. */
    const attempt = async (
      request: Req,
      reply: FastifyReply,
      values: Values,
      run: () => Promise<string>,
      refused: (r: Refused, status: number) => Promise<FastifyReply>,
    ) => {
      let location: string;
      try {
        location = await run();
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return refused({ values, error }, status);
      }
      return reply.redirect(location, 303);
    };

    app.get<{ Params: Params }>('/p/:slug/settings/distributors', async (request, reply) => {
      const project = await managed(request);
      return listPage(request, reply, project, { notice: shownOf(request.query, NOTICES) });
    });

    app.post<{ Params: Params }>('/p/:slug/settings/distributors/program', async (request, reply) => {
      const project = await managed(request);
      const values = { criteria: field(request.body, 'criteria'), terms: field(request.body, 'terms') };
      return attempt(
        request,
        reply,
        values,
        async () => {
          const { termsChanged } = await deps.db
            .transaction()
            .execute((trx) => updateProgram(trx, deps, { by: by(request), projectId: project.id, ...values }));
          return `${base(project)}?${termsChanged ? 'terms' : 'saved'}=1`;
        },
        (programRefused, status) => listPage(request, reply, project, { programRefused, status }),
      );
    });

    app.post<{ Params: Params }>('/p/:slug/settings/distributors', async (request, reply) => {
      const project = await managed(request);
      const values = { name: field(request.body, 'name'), website: field(request.body, 'website') };
      return attempt(
        request,
        reply,
        values,
        async () => {
          const added = await deps.db.transaction().execute((trx) =>
            addDistributor(trx, deps, {
              by: by(request),
              projectId: project.id,
              name: values.name,
              website: values.website || null,
            }),
          );
          return `${base(project)}/${added.id}?added=1`;
        },
        (adding, status) => listPage(request, reply, project, { adding, status }),
      );
    });

    app.get<{ Params: Params }>('/p/:slug/settings/distributors/:id', async (request, reply) => {
      const project = await managed(request);
      return distributorPage(request, reply, project, { notice: shownOf(request.query, DISTRIBUTOR_NOTICES) });
    });

    app.post<{ Params: Params }>('/p/:slug/settings/distributors/:id/contacts', async (request, reply) => {
      const project = await managed(request);
      const distributorId = request.params.id ?? '';
      const values = {
        email: field(request.body, 'email'),
        name: field(request.body, 'name'),
        pgpKey: field(request.body, 'pgpKey'),
      };
      return attempt(
        request,
        reply,
        values,
        async () => {
          await deps.db.transaction().execute((trx) =>
            addContact(trx, deps, {
              by: by(request),
              projectId: project.id,
              distributorId,
              email: values.email,
              name: values.name,
              pgpKey: values.pgpKey || null,
            }),
          );
          // The welcome mail is in the outbox: have the worker send it now rather than at its next poll.
          deps.wakeWorker();
          return `${base(project)}/${distributorId}?contact=1`;
        },
        (contactRefused, status) => distributorPage(request, reply, project, { contactRefused, status }),
      );
    });

    app.post<{ Params: Params }>(
      '/p/:slug/settings/distributors/:id/contacts/:contactId/remove',
      async (request, reply) => {
        const project = await managed(request);
        const distributorId = request.params.id ?? '';
        await deps.db.transaction().execute((trx) =>
          removeContact(trx, deps, {
            by: by(request),
            projectId: project.id,
            distributorId,
            contactId: request.params.contactId ?? '',
          }),
        );
        return reply.redirect(`${base(project)}/${distributorId}?contact-removed=1`, 303);
      },
    );

    app.post<{ Params: Params }>('/p/:slug/settings/distributors/:id/accept', async (request, reply) => {
      const project = await managed(request);
      const distributorId = request.params.id ?? '';
      const values = { note: field(request.body, 'note') };
      return attempt(
        request,
        reply,
        values,
        async () => {
          // Recorded on the distributor's behalf: the note is the only trace of where it was given.
          if (!values.note.trim()) {
            throw new DomainError(
              'VALIDATION_FAILED',
              'Say where the distributor gave its acceptance (a signed mail, a letter, a call).',
              { field: 'note' },
            );
          }
          await deps.db
            .transaction()
            .execute((trx) =>
              acceptTerms(trx, deps, { by: by(request), projectId: project.id, distributorId, note: values.note }),
            );
          return `${base(project)}/${distributorId}?accepted=1`;
        },
        (acceptRefused, status) => distributorPage(request, reply, project, { acceptRefused, status }),
      );
    });

    app.post<{ Params: Params }>('/p/:slug/settings/distributors/:id/remove', async (request, reply) => {
      const project = await managed(request);
      await deps.db.transaction().execute((trx) =>
        removeDistributor(trx, deps, {
          by: by(request),
          projectId: project.id,
          distributorId: request.params.id ?? '',
        }),
      );
      return reply.redirect(`${base(project)}?removed=1`, 303);
    });
  };
}
