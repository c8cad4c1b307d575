import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import type { CurrentMatch, Registration } from '../../domain/scan/dependents.js';
import {
  projectDependencies,
  registerProjectDependency,
  removeProjectDependency,
} from '../../domain/scan/project-dependents.service.js';
import type { DomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { CurrentMatches, inventoryOf, RegistrationFields, RegistrationList } from './dependents-views.js';
import { ErrorNotice, field, formFailure } from './forms.js';
import { acceptMultipart, readSubmittedForm } from './multipart-form.js';
import { SettingsNav } from './project-settings-views.js';
import { requireSignIn } from './require-user.js';

// The project as a dependent of other packages (its admins: project.dependents.manage): the SBOMs,
// lockfiles or package URLs registered in its name, what affects them now, and its members are
// mailed when a new advisory does. Not the release branches' inventories, which are scanned into
// the project's own findings.

type SlugP = { Params: { slug: string } };
type RemoveP = { Params: { slug: string; id: string } };
const Slug = Type.String({ minLength: 1, maxLength: 64 });

function DependentsSettingsPage(props: {
  project: Project;
  csrf: string;
  registrations: Registration[];
  matches: CurrentMatch[];
  purls: string;
  error?: DomainError;
  notice?: string;
}) {
  const { project } = props;
  const base = `/p/${project.slug}/settings/dependents`;
  return (
    <section data-dependents-settings="">
      <SettingsNav project={project} />
      <h1>{project.name}: dependencies to watch</h1>
      <p>
        Register what {project.name} depends on (an SBOM, a lockfile, or package URLs): when an advisory published here
        or imported into this instance's vulnerability database affects a registered version, the project's members are
        mailed, with the version to upgrade to. Release branches' own lockfiles are scanned on the project's dependency
        pages instead.
      </p>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      <h2>Registered</h2>
      <RegistrationList
        registrations={props.registrations}
        removeAction={(r) => `${base}/${r.id}/remove`}
        csrf={props.csrf}
      />
      <h2>What affects them now</h2>
      <CurrentMatches matches={props.matches} />
      <h2>Register</h2>
      <p class="hint">A file of the same name, or a new list of package URLs, replaces the one registered.</p>
      <ErrorNotice error={props.error} />
      <form method="post" action={base} enctype="multipart/form-data">
        <CsrfField token={props.csrf} />
        <RegistrationFields purls={props.purls} error={props.error} />
        <button type="submit">Register</button>
      </form>
    </section>
  );
}

const NOTICES: Record<string, string> = { saved: 'Registered.', removed: 'Removed.' };

/** GET and POST /p/:slug/settings/dependents, POST /p/:slug/settings/dependents/:id/remove (project.dependents.manage). */
export function dependentsSettingsPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('preHandler', requireSignIn);

    const allowed = async (request: FastifyRequest<SlugP>): Promise<Project> => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'project.dependents.manage', { projectId: project.id });
      return project;
    };
    const page = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      extra: { purls?: string; error?: DomainError; status?: number; notice?: string } = {},
    ) => {
      const { registrations, matches } = await projectDependencies(deps.db, project.id);
      return reply.page(
        <DependentsSettingsPage
          project={project}
          csrf={request.csrfToken()}
          registrations={registrations}
          matches={matches}
          purls={extra.purls ?? ''}
          {...(extra.error ? { error: extra.error } : {})}
          {...(extra.notice ? { notice: extra.notice } : {})}
        />,
        { title: `Dependencies to watch · ${project.name}`, ...(extra.status ? { status: extra.status } : {}) },
      );
    };

    app.get<SlugP>(
      '/p/:slug/settings/dependents',
      { schema: { params: Type.Object({ slug: Slug }) } },
      async (request, reply) => {
        const project = await allowed(request);
        const notice = NOTICES[field(request.query, 'done')];
        return page(request, reply, project, notice ? { notice } : {});
      },
    );

    // The form that takes a file: multipart is read by this route and no other of the module.
    await app.register(async (uploads) => {
      await acceptMultipart(uploads, deps.config);
      uploads.post<SlugP>(
        '/p/:slug/settings/dependents',
        { schema: { params: Type.Object({ slug: Slug }) } },
        async (request, reply) => {
          const project = await allowed(request);
          const form = readSubmittedForm(request);
          try {
            const inventory = inventoryOf(form);
            const by = { actor: request.actor, origin: request.origin };
            await deps.db
              .transaction()
              .execute((trx) => registerProjectDependency(trx, deps, { by, project, inventory }));
          } catch (err) {
            const { error, status } = formFailure(request, err);
            return page(request, reply, project, { error, status, purls: form.fields.purls ?? '' });
          }
          return reply.redirect(`/p/${project.slug}/settings/dependents?done=saved`, 303);
        },
      );
    });

    app.post<RemoveP>(
      '/p/:slug/settings/dependents/:id/remove',
      { schema: { params: Type.Object({ slug: Slug, id: Type.String({ minLength: 1, maxLength: 100 }) }) } },
      async (request, reply) => {
        const project = await allowed(request);
        const by = { actor: request.actor, origin: request.origin };
        await deps.db
          .transaction()
          .execute((trx) =>
            removeProjectDependency(trx, deps, { by, projectId: project.id, registrationId: request.params.id }),
          );
        return reply.redirect(`/p/${project.slug}/settings/dependents?done=removed`, 303);
      },
    );
  };
}
