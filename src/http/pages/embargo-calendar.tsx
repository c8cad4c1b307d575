import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import type { CaseState } from '../../domain/cases/cases.js';
import { type Embargo, projectEmbargoes } from '../../domain/cases/embargo.service.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { authorize } from '../../policies/policy.js';
import { timelineSteps, UtcTime } from './case-embargo.js';
import { requireSignIn } from './require-user.js';

// The project's embargo calendar: every embargo with its timeline, by release time, grouped by the
// month (UTC) of the release. A plain table: it works without JavaScript; local-time.js adds the
// viewer's own time beside each UTC time. Case titles are left out: they are embargoed content,
// whose every read is audited, and the case number links to the case page that shows (and audits) it.

type Row = Awaited<ReturnType<typeof projectEmbargoes>>[number];

const monthOf = (at: string) =>
  new Date(at).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });

/** The rows grouped by release month, keeping their order (they come sorted by release). */
export function byMonth<R extends Pick<Row, 'releaseAt'>>(rows: R[]): { month: string; rows: R[] }[] {
  const groups: { month: string; rows: R[] }[] = [];
  for (const row of rows) {
    const month = monthOf(row.releaseAt);
    const last = groups.at(-1);
    if (last?.month === month) last.rows.push(row);
    else groups.push({ month, rows: [row] });
  }
  return groups;
}

/** A calendar row: an embargo with its case, and its project when the calendar spans several. */
export type CalendarRow = Omit<Embargo, 'revisions'> & {
  caseNumber: number;
  caseState: CaseState;
  projectSlug: string;
  projectName?: string;
};

/** One month of a calendar: a row per embargo, a column per step of its timeline (done ones marked). */
export function CalendarMonth({ month, rows }: { month: string; rows: CalendarRow[] }) {
  const spans = rows.some((r) => r.projectName !== undefined);
  const headings = timelineSteps({
    distributorNoticeAt: null,
    publicNoticeAt: null,
    prereleaseNoticeAt: null,
    releaseAt: '',
    retrospectiveAt: null,
  });
  return (
    <section aria-label={month}>
      <h2>{month}</h2>
      <table class="embargo-calendar">
        <thead>
          <tr>
            {spans ? <th scope="col">Project</th> : null}
            <th scope="col">Case</th>
            <th scope="col">Embargo</th>
            {headings.map((h) => (
              <th key={h.key} scope="col">
                {h.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.caseId} data-case={spans ? `${row.projectSlug}#${row.caseNumber}` : row.caseNumber}>
              {spans ? (
                <td>
                  <a href={`/p/${row.projectSlug}/embargoes`}>{row.projectName}</a>
                </td>
              ) : null}
              <td>
                <a href={`/p/${row.projectSlug}/cases/${row.caseNumber}#embargo`}>#{row.caseNumber}</a>{' '}
                <span class="muted">{row.caseState.replace(/_/g, ' ')}</span>
              </td>
              <td data-embargo-state={row.state}>{row.state}</td>
              {timelineSteps(row, row.done).map((step) => (
                <td key={step.key} data-done={step.doneAt ? 'yes' : 'no'}>
                  <UtcTime at={step.at} />
                  {step.doneAt ? <span class="badge done">done</span> : null}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const Params = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) });

/** GET /p/:slug/embargoes (project.view). */
export function embargoCalendarPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Params: { slug: string } }>(
      '/p/:slug/embargoes',
      { schema: { params: Params }, preHandler: requireSignIn },
      async (request, reply) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'project.view', { projectId: project.id });
        const groups = byMonth(await projectEmbargoes(deps.db, project.id));
        return reply.page(
          <section>
            <h1>{project.name}: embargo calendar</h1>
            <p class="muted">Times in UTC.</p>
            {groups.length === 0 ? <p class="muted">No embargo is planned in this project.</p> : null}
            {groups.map((group) => (
              <CalendarMonth
                key={group.month}
                month={group.month}
                rows={group.rows.map((r) => ({ ...r, projectSlug: project.slug }))}
              />
            ))}
          </section>,
          { title: `Embargo calendar · ${project.name}`, scripts: ['local-time.js'] },
        );
      },
    );
  };
}
