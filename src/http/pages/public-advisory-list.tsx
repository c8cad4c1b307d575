import { Type } from '@sinclair/typebox';
import type { AdvisoryRecord } from '../../domain/advisories/advisory-record.js';
import type { AdvisoryFilters, SearchResult } from '../../domain/advisories/advisory-search.js';
import type { Project } from '../../domain/projects/projects.js';
import { PublicDate, PublicNav } from './public-project.js';

// The list of published advisories, a project's or the instance's: a plain GET form (search words,
// severity, ecosystem, year, withdrawn), so it works without JavaScript and every result page has
// a URL of its own. Rows show only the public record.

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'none'] as const;
const WITHDRAWN = ['include', 'exclude', 'only'] as const;

/** The list's query string, as a form sends it: every field optional, empty meaning "any". */
export const ListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200 })),
  severity: Type.Optional(Type.String({ maxLength: 20 })),
  ecosystem: Type.Optional(Type.String({ maxLength: 100 })),
  year: Type.Optional(Type.String({ maxLength: 10 })),
  withdrawn: Type.Optional(Type.String({ maxLength: 10 })),
  page: Type.Optional(Type.String({ maxLength: 10 })),
});
type RawQuery = { q?: string; severity?: string; ecosystem?: string; year?: string; withdrawn?: string; page?: string };

const oneOf = <T extends string>(values: readonly T[], raw: string | undefined): T | undefined =>
  values.find((v) => v === raw);

/** The filters of a query; a value that is not one the form offers means "any", as a blank one does. */
export function parseFilters(query: RawQuery): AdvisoryFilters {
  const year = Number(query.year);
  const page = Number(query.page);
  const q = query.q?.trim();
  const ecosystem = query.ecosystem?.trim();
  return {
    ...(q ? { q } : {}),
    ...(oneOf(SEVERITIES, query.severity) ? { severity: oneOf(SEVERITIES, query.severity) } : {}),
    ...(ecosystem ? { ecosystem } : {}),
    ...(Number.isInteger(year) && year >= 1970 && year <= 9999 ? { year } : {}),
    withdrawn: oneOf(WITHDRAWN, query.withdrawn) ?? 'include',
    ...(Number.isInteger(page) && page > 1 ? { page } : {}),
  };
}

function queryString(filters: AdvisoryFilters, page: number): string {
  const params = new URLSearchParams();
  if (filters.q) params.set('q', filters.q);
  if (filters.severity) params.set('severity', filters.severity);
  if (filters.ecosystem) params.set('ecosystem', filters.ecosystem);
  if (filters.year) params.set('year', String(filters.year));
  if (filters.withdrawn && filters.withdrawn !== 'include') params.set('withdrawn', filters.withdrawn);
  if (page > 1) params.set('page', String(page));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The path of one of the record's absolute links: pages link within whatever host serves them. */
export function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

function FilterForm({ action, filters, result }: { action: string; filters: AdvisoryFilters; result: SearchResult }) {
  return (
    <form method="get" action={action} class="advisory-search" role="search">
      <label>
        Search <input type="search" name="q" value={filters.q ?? ''} placeholder="id, CVE, package, words" />
      </label>{' '}
      <label>
        Severity{' '}
        <select name="severity">
          <option value="">any</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s} selected={filters.severity === s}>
              {s}
            </option>
          ))}
        </select>
      </label>{' '}
      <label>
        Ecosystem{' '}
        <select name="ecosystem">
          <option value="">any</option>
          {result.facets.ecosystems.map((e) => (
            <option key={e} value={e} selected={filters.ecosystem === e}>
              {e}
            </option>
          ))}
        </select>
      </label>{' '}
      <label>
        Year{' '}
        <select name="year">
          <option value="">any</option>
          {result.facets.years.map((y) => (
            <option key={y} value={String(y)} selected={filters.year === y}>
              {y}
            </option>
          ))}
        </select>
      </label>{' '}
      <label>
        Withdrawn{' '}
        <select name="withdrawn">
          <option value="include" selected={filters.withdrawn === 'include'}>
            include
          </option>
          <option value="exclude" selected={filters.withdrawn === 'exclude'}>
            exclude
          </option>
          <option value="only" selected={filters.withdrawn === 'only'}>
            only
          </option>
        </select>
      </label>{' '}
      <button type="submit">Search</button>
    </form>
  );
}

function Row({ record, showProject }: { record: AdvisoryRecord; showProject: boolean }) {
  return (
    <tr data-advisory={record.id}>
      <td>
        <a href={pathOf(record.links.page)}>
          <code>{record.id}</code>
        </a>
        {record.withdrawn ? (
          <>
            {' '}
            <span class="badge" data-withdrawn-badge>
              withdrawn
            </span>
          </>
        ) : null}
        {record.aliases.length > 0 ? <div class="muted">{record.aliases.join(', ')}</div> : null}
      </td>
      {showProject ? (
        <td>
          <a href={pathOf(record.project.url)}>{record.project.name}</a>
        </td>
      ) : null}
      <td>{record.summary}</td>
      <td>
        <span class={`badge sev-${record.severity}`}>{record.severity}</span>
      </td>
      <td>
        <PublicDate at={record.published} />
      </td>
    </tr>
  );
}

export interface ListProps {
  /** The project of a project's list; null for the instance's list of every project. */
  project: Project | null;
  action: string;
  filters: AdvisoryFilters;
  result: SearchResult;
}

export function AdvisoryListPage({ project, action, filters, result }: ListProps) {
  const { records, page, pages, total } = result;
  return (
    <section class="public-advisories">
      {project ? <PublicNav project={project} current="advisories" /> : null}
      <h1>{project ? `${project.name}: security advisories` : 'Security advisories'}</h1>
      <p class="muted">
        {project ? (
          <>
            Every project's advisories: <a href="/advisories">all advisories</a> ·{' '}
            <a href={`/p/${project.slug}/osv/all.zip`}>all as OSV (zip)</a>
          </>
        ) : (
          <>
            CSAF provider: <a href="/.well-known/csaf/provider-metadata.json">provider-metadata.json</a>
          </>
        )}
      </p>
      <FilterForm action={action} filters={filters} result={result} />
      <p class="muted" data-total={total}>
        {total === 1 ? '1 advisory' : `${total} advisories`}
      </p>
      {records.length === 0 ? (
        <p class="muted">
          {result.facets.years.length === 0 ? 'No advisory published yet.' : 'No advisory matches the search.'}
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Advisory</th>
              {project ? null : <th>Project</th>}
              <th>Summary</th>
              <th>Severity</th>
              <th>Published</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => (
              <Row key={r.id} record={r} showProject={!project} />
            ))}
          </tbody>
        </table>
      )}
      {pages > 1 ? (
        <nav class="filters" aria-label="Pages">
          {page > 1 ? <a href={`${action}${queryString(filters, page - 1)}`}>Previous</a> : null}
          <span>
            Page {page} of {pages}
          </span>{' '}
          {page < pages ? (
            <a href={`${action}${queryString(filters, page + 1)}`} rel="next">
              Next
            </a>
          ) : null}
        </nav>
      ) : null}
    </section>
  );
}
