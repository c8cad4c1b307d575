import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { getCaseForTeam } from '../../domain/cases/cases.service.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { authorize } from '../../policies/policy.js';
import { when } from '../views/time.js';
import { requireSignIn } from './require-user.js';

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});

/** A case's page: for now its title, state, embargo and the report it came from. */
export function casePages(deps: Deps) {
  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/p/:slug/cases/:number',
      { schema: { params: Params }, preHandler: requireSignIn },
      async (request, reply) => {
        const actor = request.actor;
        const project = await requireProject(deps.db, request.params.slug);
        authorize(actor, 'case.read', { projectId: project.id });
        const view = await deps.db.transaction().execute((trx) =>
          getCaseForTeam(trx, deps, {
            actor,
            origin: request.origin,
            projectId: project.id,
            number: Number(request.params.number),
          }),
        );
        const c = view.case;
        return reply.page(
          <article class="case">
            <p class="muted">
              <a href={`/p/${project.slug}/inbox`}>{project.name}</a> · case #{c.number}
            </p>
            <h1>{c.title}</h1>
            <dl class="facts">
              <dt>State</dt>
              <dd>
                <span class={`badge case-${c.state}`}>{c.state}</span>
              </dd>
              <dt>Embargo</dt>
              <dd>{c.embargoed ? <strong class="embargoed">Embargoed: keep it private</strong> : 'Public'}</dd>
              <dt>Opened</dt>
              <dd>{when(c.createdAt)}</dd>
              <dt>From report</dt>
              <dd>
                {view.reports.length === 0
                  ? 'none'
                  : view.reports.map((r, i) => (
                      <span key={r.id}>
                        {i > 0 ? ', ' : ''}
                        <a href={`/p/${project.slug}/reports/${r.id}`}>{r.trackingId}</a>
                      </span>
                    ))}
              </dd>
            </dl>
          </article>,
          { title: `Case #${c.number} · ${project.name}` },
        );
      },
    );
  };
}
