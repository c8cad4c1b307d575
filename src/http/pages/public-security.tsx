import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Deps } from '../../deps.js';
import type { AdvisoryRecord } from '../../domain/advisories/advisory-record.js';
import { baseUrl } from '../../domain/advisories/advisory-record.service.js';
import { allPublicRecords } from '../../domain/advisories/advisory-search.js';
import type { SignatureCache } from '../../domain/advisories/public-signatures.js';
import { securityMdFor } from '../../domain/advisories/security-md.service.js';
import { securityTxtFor, wellKnownProject } from '../../domain/advisories/security-txt.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { DomainError } from '../../errors.js';
import { toSecurityMd } from '../../formats/security-md.js';
import { authorize } from '../../policies/policy.js';
import { contentDisposition } from './download.js';
import { pathOf } from './public-advisory-list.js';
import { PublicNav, publicProject, SlugParams } from './public-project.js';

// How a reporter finds the project: security.txt (RFC 9116) at /p/<slug>/security.txt and, for the
// instance's well-known project, /.well-known/security.txt; the generated SECURITY.md; and the
// acknowledgments page security.txt points to, listing the credits of published advisories.

const words = (type: string) => type.toLowerCase().replace(/_/g, ' ');

function Acknowledgments({ project, records }: { project: Project; records: AdvisoryRecord[] }) {
  const credited = records.filter((r) => r.credits.length > 0);
  return (
    <section class="public-acknowledgments">
      <PublicNav project={project} current="acknowledgments" />
      <h1>{project.name}: acknowledgments</h1>
      <p>We thank everyone who reported a vulnerability responsibly or helped fix one.</p>
      {credited.length === 0 ? (
        <p class="muted">No one is credited in a published advisory yet.</p>
      ) : (
        <ul data-acknowledgments>
          {credited.map((r) => (
            <li key={r.id} data-advisory={r.id}>
              <a href={pathOf(r.links.page)}>
                <code>{r.id}</code>
              </a>{' '}
              {r.summary}:{' '}
              {r.credits.map((c, i) => (
                <span key={i} data-credit>
                  {i > 0 ? ', ' : ''}
                  {c.name} <span class="muted">({words(c.type)})</span>
                </span>
              ))}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function publicSecurityPages(deps: Deps) {
  // Signed texts per content: the text changes with the day (Expires) or the settings only.
  const signatures: SignatureCache = new Map();

  async function sendSecurityTxt(reply: FastifyReply, project: Project, canonical: string) {
    const text = await securityTxtFor(deps.db, deps, { project, canonical, cache: signatures });
    return reply
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .type('text/plain; charset=utf-8')
      .send(text);
  }

  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();

    app.get('/.well-known/security.txt', async (request, reply) => {
      const project = await wellKnownProject(deps.db, deps);
      if (!project) throw new DomainError('NOT_FOUND', 'This instance has no well-known project.');
      authorize(request.actor, 'project.public.read', { projectId: project.id });
      return sendSecurityTxt(reply, project, `${baseUrl(deps)}/.well-known/security.txt`);
    });

    app.get('/p/:slug/security.txt', { schema: { params: SlugParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      return sendSecurityTxt(reply, project, `${baseUrl(deps)}/p/${project.slug}/security.txt`);
    });

    app.get('/p/:slug/SECURITY.md', { schema: { params: SlugParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      const text = toSecurityMd(await securityMdFor(deps.db, deps, project));
      return reply
        .header('content-disposition', contentDisposition('SECURITY.md'))
        .header('x-content-type-options', 'nosniff')
        .type('text/markdown; charset=utf-8')
        .send(text);
    });

    app.get('/p/:slug/acknowledgments', { schema: { params: SlugParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      const records = await allPublicRecords(deps.db, project.id);
      return reply.page(<Acknowledgments project={project} records={records} />, {
        title: `${project.name}: acknowledgments`,
      });
    });
  };
}
