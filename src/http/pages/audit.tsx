import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import type { AuditEntry } from '../../domain/audit/audit.js';
import { projectAuditLog } from '../../domain/audit/audit.service.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { DomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { when } from '../views/time.js';
import { requireSignIn } from './require-user.js';

const PAGE_SIZE = 100;

const Params = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) });
const Query = Type.Object({ before: Type.Optional(Type.String({ maxLength: 120 })) });

// The cursor is `<at>_<id>` of the last entry shown: entries of the same instant are not skipped.
function parseCursor(raw: string | undefined): { before: string; beforeId: string } | undefined {
  if (!raw) return undefined;
  const match = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)_([A-Za-z0-9-]+)$/.exec(raw);
  if (!match?.[1] || !match[2]) throw new DomainError('VALIDATION_FAILED', 'The page cursor is malformed.');
  return { before: match[1], beforeId: match[2] };
}

function Detail({ detail }: { detail: Record<string, unknown> | null }) {
  if (!detail) return null;
  // Details hold ids, states and reasons only (see recordAudit), so they can be shown as they are.
  const parts = Object.entries(detail).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return <span class="muted audit-detail">{parts.join(' · ')}</span>;
}

function AuditTable({ entries, slug }: { entries: AuditEntry[]; slug: string }) {
  if (entries.length === 0) return <p class="muted">Nothing recorded yet.</p>;
  return (
    <table class="audit">
      <thead>
        <tr>
          <th>When</th>
          <th>Actor</th>
          <th>Action</th>
          <th>Subject</th>
          <th>IP</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.id}>
            <td>{when(e.at)}</td>
            <td>{e.actorLabel}</td>
            <td>
              <code>{e.action}</code> <Detail detail={e.detail} />
            </td>
            <td>
              {e.subjectType === 'report' && e.subjectId ? (
                <a href={`/p/${slug}/reports/${e.subjectId}`}>report</a>
              ) : (
                e.subjectType
              )}
            </td>
            <td>{e.ip ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The project's audit log for its admins, newest first, a page at a time. */
export function auditPages(deps: Deps) {
  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/p/:slug/audit',
      { schema: { params: Params, querystring: Query }, preHandler: requireSignIn },
      async (request, reply) => {
        const actor = request.actor;
        const project = await requireProject(deps.db, request.params.slug);
        authorize(actor, 'project.audit.read', { projectId: project.id });
        const cursor = parseCursor(request.query.before);
        const entries = await projectAuditLog(deps.db, { projectId: project.id, limit: PAGE_SIZE, ...cursor });
        const last = entries[entries.length - 1];
        const older =
          entries.length === PAGE_SIZE && last
            ? `/p/${project.slug}/audit?before=${encodeURIComponent(`${last.at}_${last.id}`)}`
            : null;
        return reply.page(
          <section>
            <p class="muted">
              <a href={`/p/${project.slug}/inbox`}>{project.name}</a>
            </p>
            <h1>Audit log</h1>
            <AuditTable entries={entries} slug={project.slug} />
            {cursor || older ? (
              <p class="pager">
                {cursor ? <a href={`/p/${project.slug}/audit`}>Newest</a> : null}{' '}
                {older ? <a href={older}>Older</a> : null}
              </p>
            ) : null}
          </section>,
          { title: `Audit log · ${project.name}` },
        );
      },
    );
  };
}
