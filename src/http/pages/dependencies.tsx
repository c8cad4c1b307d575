import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import type { Project } from '../../domain/projects/projects.js';
import { listBranches, listMembers, requireProject } from '../../domain/projects/projects.service.js';
import { isFindingState } from '../../domain/scan/findings.js';
import { getFinding, listFindings, triageFinding } from '../../domain/scan/findings.service.js';
import {
  listInventories,
  registerInventory,
  removeInventory,
  requireProjectBranch,
  supportedFormats,
} from '../../domain/scan/inventories.service.js';
import { DomainError } from '../../errors.js';
import { type Action, authorize, can } from '../../policies/policy.js';
import {
  type BranchView,
  DependenciesPage,
  FindingPage,
  type FindingsQuery,
  type TriageValues,
} from './dependencies-views.js';
import { field, formFailure } from './forms.js';
import { acceptMultipart, readSubmittedForm, type SubmittedForm } from './multipart-form.js';
import { requireSignIn } from './require-user.js';

// A project's dependency monitoring as pages that work without JavaScript: per release branch its
// lockfiles and SBOMs (upload, remove) and its findings, filtered by state; and a page per finding
// to triage it. The same services as the findings API.

type SlugParams = { slug: string };
const Slug = Type.String({ minLength: 1, maxLength: 64 });
const Id = Type.String({ minLength: 1, maxLength: 64 });
const slugSchema = { params: Type.Object({ slug: Slug }) };
const branchSchema = { params: Type.Object({ slug: Slug, branchId: Id }) };
const idSchema = { params: Type.Object({ slug: Slug, id: Id }) };

function queryOf(query: unknown): FindingsQuery {
  const state = field(query, 'state');
  return {
    state: isFindingState(state) ? state : undefined,
    overdue: field(query, 'overdue') === '1',
    gone: field(query, 'gone') === '1',
  };
}

/** The file of the upload form (named by its field, else its file name), or else the pasted text (named by its field). */
function uploaded(form: SubmittedForm): { name: string; text: string } {
  const file = form.files[0];
  const named = form.fields.name?.trim() ?? '';
  if (file) return { name: named || file.filename, text: file.content.toString('utf8') };
  const text = form.fields.content ?? '';
  if (!text.trim()) throw new DomainError('VALIDATION_FAILED', 'Choose a file, or paste its text.', { field: 'file' });
  if (!named) throw new DomainError('VALIDATION_FAILED', 'Give the pasted file’s name.', { field: 'name' });
  return { name: named, text };
}

/** GET /p/:slug/dependencies and its forms, and the finding pages (project.findings.*, project.inventories.manage). */
export function dependenciesPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('preHandler', requireSignIn);

    const allowed = async (request: FastifyRequest<{ Params: SlugParams }>, action: Action): Promise<Project> => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, action, { projectId: project.id });
      return project;
    };

    const overview = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      extra: { notice?: string; error?: { branchId: string; error: DomainError }; status?: number } = {},
    ) => {
      const query = queryOf(request.query);
      const now = deps.clock.now();
      const branches = await listBranches(deps.db, project.id);
      const inventories = await listInventories(deps.db, { projectId: project.id });
      const findings = await listFindings(deps.db, {
        projectId: project.id,
        now,
        ...(query.state ? { state: query.state } : {}),
        ...(query.gone ? {} : { present: true }),
        ...(query.overdue ? { overdue: true } : {}),
      });
      const views: BranchView[] = branches.map((branch) => ({
        branch,
        inventories: inventories.filter((i) => i.branchId === branch.id),
        findings: findings.filter((f) => f.branchId === branch.id),
      }));
      return reply.page(
        <DependenciesPage
          project={project}
          csrf={request.csrfToken()}
          branches={views}
          query={query}
          formats={supportedFormats()}
          canManage={can(request.actor, 'project.inventories.manage', { projectId: project.id })}
          {...(extra.notice ? { notice: extra.notice } : {})}
          {...(extra.error ? { error: extra.error } : {})}
        />,
        { title: `Dependencies · ${project.name}`, ...(extra.status ? { status: extra.status } : {}) },
      );
    };

    app.get<{ Params: SlugParams }>('/p/:slug/dependencies', { schema: slugSchema }, async (request, reply) => {
      const project = await allowed(request, 'project.findings.read');
      const registered = field(request.query, 'registered');
      const notice = registered
        ? `Registered ${registered}: ${field(request.query, 'new') || '0'} new finding(s).`
        : field(request.query, 'removed')
          ? `Removed ${field(request.query, 'removed')}.`
          : undefined;
      return overview(request, reply, project, notice ? { notice } : {});
    });

    // Only this route reads multipart bodies (the upload): see multipart-form.ts.
    await app.register(async (uploads) => {
      await acceptMultipart(uploads, deps.config);
      uploads.post<{ Params: { slug: string; branchId: string } }>(
        '/p/:slug/dependencies/branches/:branchId/inventories',
        { schema: branchSchema },
        async (request, reply) => {
          const project = await allowed(request, 'project.inventories.manage');
          // Another project's branch is not found, like everything of another project.
          const { id: branchId } = await requireProjectBranch(deps.db, {
            projectId: project.id,
            id: request.params.branchId,
          });
          const form = readSubmittedForm(request);
          try {
            const { name, text } = uploaded(form);
            const format = form.fields.format?.trim();
            const result = await deps.db.transaction().execute((trx) =>
              registerInventory(trx, deps, {
                actor: request.actor,
                origin: request.origin,
                projectId: project.id,
                branchId,
                name,
                text,
                ...(format ? { format } : {}),
              }),
            );
            deps.wakeWorker();
            const done = new URLSearchParams({ registered: result.inventory.name, new: String(result.evaluation.new) });
            return reply.redirect(`/p/${project.slug}/dependencies?${done.toString()}#branch-${branchId}`, 303);
          } catch (err) {
            const { error, status } = formFailure(request, err);
            return overview(request, reply, project, { error: { branchId, error }, status });
          }
        },
      );
    });

    app.post<{ Params: { slug: string; id: string } }>(
      '/p/:slug/dependencies/inventories/:id/remove',
      { schema: idSchema },
      async (request, reply) => {
        const project = await allowed(request, 'project.inventories.manage');
        const { inventory } = await deps.db.transaction().execute((trx) =>
          removeInventory(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            projectId: project.id,
            inventoryId: request.params.id,
          }),
        );
        const done = new URLSearchParams({ removed: inventory.name });
        return reply.redirect(`/p/${project.slug}/dependencies?${done.toString()}#branch-${inventory.branchId}`, 303);
      },
    );

    const findingPage = async (
      request: FastifyRequest<{ Params: { slug: string; id: string } }>,
      reply: FastifyReply,
      project: Project,
      extra: { saved?: boolean; error?: DomainError; values?: TriageValues; status?: number } = {},
    ) => {
      const finding = await getFinding(deps.db, {
        projectId: project.id,
        findingId: request.params.id,
        now: deps.clock.now(),
      });
      return reply.page(
        <FindingPage
          project={project}
          csrf={request.csrfToken()}
          finding={finding}
          members={await listMembers(deps.db, project.id)}
          canTriage={can(request.actor, 'project.findings.triage', { projectId: project.id })}
          {...(extra.saved ? { saved: true } : {})}
          {...(extra.error ? { error: extra.error } : {})}
          {...(extra.values ? { values: extra.values } : {})}
        />,
        {
          title: `${finding.vulnId} in ${finding.name}@${finding.version} · ${project.name}`,
          ...(extra.status ? { status: extra.status } : {}),
        },
      );
    };

    app.get<{ Params: { slug: string; id: string } }>(
      '/p/:slug/dependencies/findings/:id',
      { schema: idSchema },
      async (request, reply) => {
        const project = await allowed(request, 'project.findings.read');
        return findingPage(request, reply, project, { saved: field(request.query, 'saved') === '1' });
      },
    );

    app.post<{ Params: { slug: string; id: string } }>(
      '/p/:slug/dependencies/findings/:id',
      { schema: idSchema },
      async (request, reply) => {
        const project = await allowed(request, 'project.findings.triage');
        await getFinding(deps.db, { projectId: project.id, findingId: request.params.id, now: deps.clock.now() });
        const values: TriageValues = {
          state: field(request.body, 'state'),
          justification: field(request.body, 'justification'),
          owner: field(request.body, 'owner'),
          note: field(request.body, 'note'),
        };
        try {
          await deps.db.transaction().execute((trx) =>
            triageFinding(trx, deps, {
              actor: request.actor,
              origin: request.origin,
              projectId: project.id,
              findingId: request.params.id,
              state: values.state,
              // The form always sends the select; it counts with not_affected only.
              justification: values.state === 'not_affected' ? values.justification : null,
              owner: values.owner || null,
              note: values.note,
            }),
          );
          return reply.redirect(`/p/${project.slug}/dependencies/findings/${request.params.id}?saved=1`, 303);
        } catch (err) {
          const { error, status } = formFailure(request, err);
          return findingPage(request, reply, project, { error, values, status });
        }
      },
    );
  };
}
