/*
 * The public record a case opened from an import would publish, filled the way
 * buildAdvisoryRecord (src/domain/advisories/advisory-record.service.ts) fills it at the go: the
 * source id becomes an alias (CVE id first), the project's page is the first ADVISORY reference,
 * CVSS 3.1/4.0 vectors are scored, CWEs named. Pure, for the round-trip tests: import, publish,
 * export, compare.
 */

import type { AdvisoryRecord, RecordCvss } from '../../../src/domain/advisories/advisory-record.js';
import { scoreCvss } from '../../../src/domain/severity/cvss.js';
import { findCwe } from '../../../src/domain/severity/cwe.js';
import type { ImportedAdvisory } from '../../../src/formats/imported-advisory.js';

export interface RecordFromImportInput {
  /** Our own public id, e.g. "DEMO-2026-0101". */
  id: string;
  /** When the go published it; also `modified`, and `withdrawn` when the upstream was withdrawn. */
  published?: string;
}

const BASE = 'https://embargo.example';

function cvss(vectors: readonly string[]): RecordCvss[] {
  const out: RecordCvss[] = [];
  for (const vector of vectors) {
    const score = scoreCvss(vector);
    if (score.version !== '3.1' && score.version !== '4.0') continue;
    if (out.some((c) => c.version === score.version)) continue;
    out.push({
      version: score.version,
      vector: score.vector,
      score: score.overall.score,
      baseScore: score.base.score,
      baseSeverity: score.base.rating.toUpperCase() as RecordCvss['baseSeverity'],
    });
  }
  return out;
}

export function recordFromImport(imported: ImportedAdvisory, input: RecordFromImportInput): AdvisoryRecord {
  const published = input.published ?? '2026-08-03T16:00:00.000Z';
  const ids = [imported.sourceId, ...imported.aliases].filter((a) => a !== '');
  const cveId = ids.find((a) => /^CVE-\d{4}-\d+$/.test(a)) ?? null;
  const page = `${BASE}/p/demo/advisories/${input.id}`;
  const scored = cvss(imported.cvssVectors);
  const worst = [...scored].sort((a, b) => b.baseScore - a.baseScore)[0];
  return {
    id: input.id,
    aliases: [...new Set([...(cveId ? [cveId] : []), ...ids])],
    cveId,
    related: [...imported.related],
    project: {
      name: 'Demo',
      slug: 'demo',
      url: `${BASE}/p/demo`,
      publisher: 'Demo',
      namespace: BASE,
      cna: null,
    },
    summary: imported.summary,
    details: imported.details,
    sections: { affected: '', howToCheck: '', upgrade: '', mitigations: '', detection: '' },
    published,
    modified: published,
    withdrawn: imported.withdrawn === null ? null : published,
    withdrawnReason: imported.withdrawn === null ? null : `Withdrawn by its source, ${imported.sourceId}.`,
    severity: worst ? (worst.baseSeverity.toLowerCase() as AdvisoryRecord['severity']) : 'medium',
    cvss: scored,
    exploited: false,
    cwes: imported.cwes.map((id) => ({ id, name: findCwe(id)?.name ?? `CWE-${id}` })),
    packages: imported.packages.map((p) => ({
      ...p,
      ranges: p.ranges.map((r) => ({ ...r })),
      versions: [...p.versions],
    })),
    branches: [],
    references: [{ type: 'ADVISORY', url: page }, ...imported.references.filter((r) => r.url !== page)],
    credits: imported.credits.map((c) => ({ ...c, contact: [...c.contact] })),
    revisions: [{ number: 1, date: published, summary: 'Initial publication' }],
    links: {
      page,
      osv: `${page}/osv.json`,
      cve: `${page}/cve.json`,
      csaf: `${BASE}/.well-known/csaf/white/${published.slice(0, 4)}/${input.id.toLowerCase()}.json`,
      csafVex: `${BASE}/.well-known/csaf/white/${published.slice(0, 4)}/${input.id.toLowerCase()}-vex.json`,
      cyclonedx: `${page}/cyclonedx-vex.json`,
    },
  };
}
