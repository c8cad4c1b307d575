/*
 * What an OSV record means to a consumer, normalised so two records can be compared for "the same
 * statement" whatever their id, dates, key order, or the way ranges are split: OSV's evaluation
 * (spec, "Evaluation") makes a version affected when any range or listed version of any `affected`
 * entry of its package says so, so entries of one package are merged and each range is reduced to
 * its introduced..fixed / ..last_affected intervals. Written apart from src/formats/osv-read.ts on
 * purpose, so a mistake in the reader cannot hide itself here.
 */

type Json = Record<string, unknown>;

export interface OsvMeaningPackage {
  ecosystem: string;
  name: string;
  /** "[a, b)" for introduced a fixed b, "[a, b]" for last_affected b, "[a, *)" when open. */
  intervals: string[];
  versions: string[];
  /** "repo introduced..end" for each GIT interval. */
  git: string[];
}

export interface OsvMeaning {
  aliases: string[];
  related: string[];
  summary: string;
  details: string;
  withdrawn: boolean;
  /** "CVSS_V3 CVSS:3.1/..." */
  severity: string[];
  packages: OsvMeaningPackage[];
  /** "TYPE url" */
  references: string[];
  /** "TYPE name contact,contact"; an untyped credit reads as OTHER ("any other role"). */
  credits: string[];
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const obj = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const sorted = (items: Iterable<string>): string[] => [...new Set(items)].sort();

// PyPI compares names normalised (PEP 503), as OSV's PyPI ecosystem does.
const packageName = (ecosystem: string, name: string) =>
  ecosystem === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;

/** Intervals of one range's events in the order listed (the spec recommends sorted events). */
function intervals(events: unknown[]): string[] {
  const out: string[] = [];
  let open: string | null = null;
  for (const event of events.map(obj)) {
    if (typeof event['introduced'] === 'string') {
      open ??= event['introduced'];
    } else if (open !== null && typeof event['fixed'] === 'string') {
      out.push(`[${open}, ${event['fixed']})`);
      open = null;
    } else if (open !== null && typeof event['last_affected'] === 'string') {
      out.push(`[${open}, ${event['last_affected']}]`);
      open = null;
    }
  }
  if (open !== null) out.push(`[${open}, *)`);
  return out;
}

export function osvMeaning(osv: unknown): OsvMeaning {
  const doc = obj(osv);
  const packages = new Map<string, OsvMeaningPackage>();
  for (const entry of list(doc['affected']).map(obj)) {
    const pkg = obj(entry['package']);
    const ecosystem = str(pkg['ecosystem']);
    const name = packageName(ecosystem, str(pkg['name']));
    const key = `${ecosystem}\u0000${name}`;
    const into = packages.get(key) ?? { ecosystem, name, intervals: [], versions: [], git: [] };
    packages.set(key, into);
    for (const range of list(entry['ranges']).map(obj)) {
      const found = intervals(list(range['events']));
      if (range['type'] === 'GIT') into.git.push(...found.map((i) => `${str(range['repo'])} ${i}`));
      else into.intervals.push(...found);
    }
    into.versions.push(...list(entry['versions']).map(str));
  }
  return {
    aliases: sorted(list(doc['aliases']).map(str)),
    related: sorted(list(doc['related']).map(str)),
    summary: str(doc['summary']).trim(),
    details: str(doc['details']).trim(),
    withdrawn: typeof doc['withdrawn'] === 'string',
    severity: sorted(list(doc['severity']).map((s) => `${str(obj(s)['type'])} ${str(obj(s)['score'])}`)),
    packages: [...packages.values()]
      .map((p) => ({ ...p, intervals: sorted(p.intervals), versions: sorted(p.versions), git: sorted(p.git) }))
      .sort((a, b) => `${a.ecosystem} ${a.name}`.localeCompare(`${b.ecosystem} ${b.name}`)),
    references: sorted(list(doc['references']).map((r) => `${str(obj(r)['type'])} ${str(obj(r)['url'])}`)),
    credits: sorted(
      list(doc['credits']).map((c) => {
        const credit = obj(c);
        const contact = list(credit['contact']).map(str).sort().join(',');
        return `${str(credit['type']) || 'OTHER'} ${str(credit['name'])} ${contact}`.trim();
      }),
    ),
  };
}
