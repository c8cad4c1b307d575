import type { DbOrTrx } from '../../db/types.js';
import type { AdvisoryRecord } from './advisory-record.js';
import { publishedRecordRows } from './advisories.repository.js';

// Search and filters of the public advisory list. Published records are few per project (tens to a
// few thousand): they are read whole, newest first, and filtered here, the same on every engine
// (SQLite and PostgreSQL search JSON text differently).

/** How many records one search reads at most. */
const SCAN_LIMIT = 5000;
export const PAGE_SIZE = 25;

export interface AdvisoryFilters {
  /** Words that must all appear in the id, aliases, summary, details, package names or CWE. */
  q?: string;
  severity?: AdvisoryRecord['severity'];
  ecosystem?: string;
  /** Publication year. */
  year?: number;
  /** Include withdrawn advisories (shown by default, marked). */
  withdrawn?: 'include' | 'exclude' | 'only';
  page?: number;
}

function haystack(r: AdvisoryRecord): string {
  return [
    r.id,
    ...r.aliases,
    r.summary,
    r.details,
    r.project.name,
    ...r.packages.flatMap((p) => [p.name, p.ecosystem, p.purl ?? '']),
    ...r.cwes.flatMap((c) => [`CWE-${c.id}`, c.name]),
  ]
    .join('\n')
    .toLowerCase();
}

/** Whether a record passes the filters (the page number aside). */
export function matches(r: AdvisoryRecord, f: AdvisoryFilters): boolean {
  if (f.severity && r.severity !== f.severity) return false;
  if (f.ecosystem && !r.packages.some((p) => p.ecosystem.split(':')[0] === f.ecosystem)) return false;
  if (f.year && Number(r.published.slice(0, 4)) !== f.year) return false;
  const withdrawn = f.withdrawn ?? 'include';
  if (withdrawn === 'exclude' && r.withdrawn) return false;
  if (withdrawn === 'only' && !r.withdrawn) return false;
  const words = (f.q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length) {
    const text = haystack(r);
    if (!words.every((w) => text.includes(w))) return false;
  }
  return true;
}

export interface SearchResult {
  records: AdvisoryRecord[];
  total: number;
  page: number;
  pages: number;
  /** The values the filters can take among all records searched (for the filter form). */
  facets: { ecosystems: string[]; years: number[] };
}

export async function searchAdvisories(
  db: DbOrTrx,
  input: { projectId?: string; filters: AdvisoryFilters },
): Promise<SearchResult> {
  const rows = await publishedRecordRows(db, { projectId: input.projectId, limit: SCAN_LIMIT });
  const all = rows.flatMap((r) => (r.record ? [JSON.parse(r.record) as AdvisoryRecord] : []));
  const found = all.filter((r) => matches(r, input.filters));
  const pages = Math.max(1, Math.ceil(found.length / PAGE_SIZE));
  const page = Math.min(Math.max(1, input.filters.page ?? 1), pages);
  return {
    records: found.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
    total: found.length,
    page,
    pages,
    facets: {
      ecosystems: [...new Set(all.flatMap((r) => r.packages.map((p) => p.ecosystem.split(':')[0] ?? '')))].sort(),
      years: [...new Set(all.map((r) => Number(r.published.slice(0, 4))))].sort((a, b) => b - a),
    },
  };
}

/** Every current record of a project (for the OSV zip, the ROLIE feed), newest first. */
export async function allPublicRecords(db: DbOrTrx, projectId?: string): Promise<AdvisoryRecord[]> {
  const rows = await publishedRecordRows(db, { projectId, limit: SCAN_LIMIT });
  return rows.flatMap((r) => (r.record ? [JSON.parse(r.record) as AdvisoryRecord] : []));
}
