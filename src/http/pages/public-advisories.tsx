import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { requirePublishedAdvisory } from '../../domain/advisories/advisories.service.js';
import { searchAdvisories } from '../../domain/advisories/advisory-search.js';
import { publicRecordAt } from '../../domain/advisories/public-records.js';
import { caseAnnouncements } from '../../domain/announcements/announcements.service.js';
import { getProjectKey } from '../../domain/pgp/pgp-keys.service.js';
import { listProjects } from '../../domain/projects/projects.service.js';
import { can } from '../../policies/policy.js';
import { AdvisoryListPage, ListQuery, parseFilters } from './public-advisory-list.js';
import { AdvisoryView } from './public-advisory-view.js';
import { publicProject, SlugParams } from './public-project.js';

// Published advisories: a project's list, the instance's list of every project's, and one
// advisory's page. Everything shown comes from the frozen public record (advisory-record.ts):
// a draft has no record, so it is the same 404 as an id that never was, and is never listed.

export const AdvisoryParams = Type.Object({
  slug: SlugParams.properties.slug,
  publicId: Type.String({ minLength: 1, maxLength: 100 }),
});

/** `?revision=N` on the page and the format URLs: an older revision as it was published. */
export const RevisionQuery = Type.Object({
  revision: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$' })),
});

export const revisionOf = (query: { revision?: string }): number | undefined =>
  query.revision === undefined ? undefined : Number(query.revision);

/** /p/:slug/advisories, /advisories and /p/:slug/advisories/:publicId. */
export function publicAdvisoriesPages(deps: Deps) {
  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/p/:slug/advisories',
      { schema: { params: SlugParams, querystring: ListQuery } },
      async (request, reply) => {
        const project = await publicProject(deps.db, request, request.params.slug);
        const filters = parseFilters(request.query);
        const result = await searchAdvisories(deps.db, { projectId: project.id, filters });
        const action = `/p/${project.slug}/advisories`;
        return reply.page(<AdvisoryListPage project={project} action={action} filters={filters} result={result} />, {
          title: `${project.name}: security advisories`,
        });
      },
    );

    app.get('/advisories', { schema: { querystring: ListQuery } }, async (request, reply) => {
      const filters = parseFilters(request.query);
      const [found, projects] = await Promise.all([searchAdvisories(deps.db, { filters }), listProjects(deps.db)]);
      // Every project's advisories are public today; the policy still has the last word per project.
      const readable = new Set(
        projects.filter((p) => can(request.actor, 'project.public.read', { projectId: p.id })).map((p) => p.slug),
      );
      const result = { ...found, records: found.records.filter((r) => readable.has(r.project.slug)) };
      return reply.page(<AdvisoryListPage project={null} action="/advisories" filters={filters} result={result} />, {
        title: 'Security advisories',
      });
    });

    app.get(
      '/p/:slug/advisories/:publicId',
      { schema: { params: AdvisoryParams, querystring: RevisionQuery } },
      async (request, reply) => {
        const project = await publicProject(deps.db, request, request.params.slug);
        const { publicId } = request.params;
        const revision = revisionOf(request.query);
        const [current, key, advisory] = await Promise.all([
          publicRecordAt(deps.db, { projectId: project.id, publicId }),
          getProjectKey(deps.db, project.id),
          requirePublishedAdvisory(deps.db, project.id, publicId),
        ]);
        const release = (await caseAnnouncements(deps.db, advisory.caseId)).find((a) => a.kind === 'release');
        const record =
          revision === undefined
            ? current
            : await publicRecordAt(deps.db, { projectId: project.id, publicId, revision });
        const shown = revision === undefined || revision === current.revisions.at(-1)?.number ? null : revision;
        const page = (
          <AdvisoryView
            project={project}
            record={record}
            history={current.revisions}
            revision={shown}
            signed={key !== null}
            announcementId={release?.id ?? null}
          />
        );
        return reply.page(page, { title: `${record.id}: ${record.summary}` });
      },
    );
  };
}
