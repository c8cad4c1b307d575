import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { ADVISORY_PROSE_FIELDS, ADVISORY_SECTION_TITLES, type Advisory } from '../../domain/advisories/advisories.js';
import { publishedAdvisories, requirePublishedAdvisory } from '../../domain/advisories/advisories.service.js';
import { caseAnnouncements } from '../../domain/announcements/announcements.service.js';
import { findCaseNumber, requireCase } from '../../domain/cases/cases.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { type CaseFacts, caseFacts } from '../../domain/release/case-facts.js';
import { caseSeverity } from '../../domain/severity/case-severity.service.js';
import type { CvssScore } from '../../domain/severity/cvss.js';
import { DomainError } from '../../errors.js';
import { Markdown } from '../views/markdown.js';
import { PublicDate, PublicNav, publicProject, SlugParams } from './public-project.js';

// A project's published advisories. Only an advisory the go published exists here: a draft is the
// same 404 as an id that never was. Of its case the page shows exactly what the release makes
// public (severity and CVSS vectors, affected and fixed versions): never the case's title (the
// reporter's words), its number, its history or anything else.

const IdParams = Type.Object({
  slug: SlugParams.properties.slug,
  publicId: Type.String({ minLength: 1, maxLength: 100 }),
});

interface Published {
  advisory: Advisory;
  facts: CaseFacts;
  cvss: CvssScore[];
  announcementId: string | null;
}

const notFound = () => new DomainError('NOT_FOUND', 'No published advisory with this id.');

function AdvisoriesPage({ project, advisories }: { project: Project; advisories: Advisory[] }) {
  return (
    <section class="public-advisories">
      <PublicNav project={project} current="advisories" />
      <h1>{project.name}: security advisories</h1>
      {advisories.length === 0 ? (
        <p class="muted">No advisory published yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Advisory</th>
              <th>Summary</th>
              <th>Published</th>
            </tr>
          </thead>
          <tbody>
            {advisories.map((a) => (
              <tr key={a.publicId} data-advisory={a.publicId}>
                <td>
                  <a href={`/p/${project.slug}/advisories/${a.publicId}`}>
                    <code>{a.publicId}</code>
                  </a>
                </td>
                <td>{a.summary}</td>
                <td>{a.publishedAt ? <PublicDate at={a.publishedAt} /> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Lines({ lines, name }: { lines: string[]; name: string }) {
  if (lines.length === 0) return <p class="muted">See the details below.</p>;
  return (
    <ul data-versions={name}>
      {lines.map((l) => (
        <li key={l}>{l}</li>
      ))}
    </ul>
  );
}

const creditWords = (type: string) => type.toLowerCase().replace(/_/g, ' ');

function AdvisoryPage({ project, published }: { project: Project; published: Published }) {
  const { advisory, facts, cvss, announcementId } = published;
  return (
    <article class="public-advisory" data-advisory={advisory.publicId}>
      <PublicNav project={project} current="advisories" />
      <h1>{advisory.summary}</h1>
      <p class="muted">
        <code data-public-id>{advisory.publicId}</code>
        {advisory.publishedAt ? (
          <>
            {' '}
            published <PublicDate at={advisory.publishedAt} />
          </>
        ) : null}
        {announcementId ? (
          <>
            {' '}
            · <a href={`/p/${project.slug}/announcements/${announcementId}`}>release announcement</a>
          </>
        ) : null}
      </p>

      <h2>Severity</h2>
      <p data-severity>{facts.severity}</p>
      {cvss.length > 0 ? (
        <table data-cvss>
          <thead>
            <tr>
              <th>CVSS</th>
              <th>Score</th>
              <th>Vector</th>
            </tr>
          </thead>
          <tbody>
            {cvss.map((s) => (
              <tr key={s.vector}>
                <th scope="row">{s.version}</th>
                <td>
                  <strong>{s.overall.score.toFixed(1)}</strong>{' '}
                  <span class={`badge sev-${s.overall.rating.toLowerCase()}`}>{s.overall.rating}</span>
                </td>
                <td>
                  <code class="vector">{s.vector}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}

      <h2>Affected versions</h2>
      <Lines lines={facts.affectedVersions} name="affected" />
      <h2>Fixed versions</h2>
      <Lines lines={facts.fixedVersions} name="fixed" />

      {ADVISORY_PROSE_FIELDS.filter((f) => advisory[f].trim() !== '').map((f) => (
        <section key={f} data-section={f}>
          <h2>{ADVISORY_SECTION_TITLES[f]}</h2>
          <Markdown source={advisory[f]} />
        </section>
      ))}

      {advisory.credits.length > 0 ? (
        <section data-section="credits">
          <h2>Credits</h2>
          <ul>
            {advisory.credits.map((c, i) => (
              <li key={i}>
                {c.name} <span class="muted">({creditWords(c.type)})</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </article>
  );
}

/** /p/:slug/advisories and one published advisory. */
export function publicAdvisoriesPages(deps: Deps) {
  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();

    app.get('/p/:slug/advisories', { schema: { params: SlugParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      const advisories = await publishedAdvisories(deps.db, project.id);
      return reply.page(<AdvisoriesPage project={project} advisories={advisories} />, {
        title: `${project.name}: security advisories`,
      });
    });

    app.get('/p/:slug/advisories/:publicId', { schema: { params: IdParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      const advisory = await requirePublishedAdvisory(deps.db, project.id, request.params.publicId);
      const number = await findCaseNumber(deps.db, project.id, advisory.caseId);
      if (number === undefined) throw notFound();
      const theCase = await requireCase(deps.db, project.id, number);
      // Fails closed: the go lifts the embargo in the transaction that publishes, so a published
      // advisory of a case still embargoed would be a fault, and nothing of that case is shown.
      if (theCase.embargoed) throw notFound();
      const [facts, severity, announcements] = await Promise.all([
        caseFacts(deps.db, theCase, deps.clock.now()),
        caseSeverity(deps.db, theCase),
        caseAnnouncements(deps.db, theCase.id),
      ]);
      const cvss = [severity.cvss.v40, severity.cvss.v31, severity.cvss.imported].filter(
        (s): s is CvssScore => s !== null,
      );
      const release = announcements.find((a) => a.kind === 'release');
      const published: Published = { advisory, facts, cvss, announcementId: release?.id ?? null };
      return reply.page(<AdvisoryPage project={project} published={published} />, {
        title: `${advisory.publicId}: ${advisory.summary}`,
      });
    });
  };
}
