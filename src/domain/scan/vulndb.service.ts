import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { enqueue } from '../outbox/outbox.js';
import type { OsvFileItem } from './osv-files.js';
import { readOsvRecord, type VulnSummary } from './osv-record.js';
import { packageKey } from './package-key.js';
import type { VulnPackagesTable, VulnsTable } from './scan.table.js';
import {
  deleteVulnPackages,
  ecosystemCounts,
  insertVulnPackages,
  storedVersions,
  upsertVulns,
  vulnCounts,
  vulnDbGeneration,
} from './vulndb.repository.js';

/*
 * The local vulnerability database: OSV records imported from exports and uploads, and the
 * instance's own published advisories. Import is incremental: a record is written only when it is
 * new or its `modified` date is later than the stored one, so re-importing a whole export costs
 * reading it and little else. Every change enqueues one `vulndb.changed` job in the same
 * transaction, which re-evaluates the branches' findings and alerts dependents.
 */

export interface ImportReport {
  read: number;
  added: number;
  updated: number;
  unchanged: number;
  /** Kept when the stored copy is the project's own advisory, which an import never replaces. */
  kept: number;
  rejectedCount: number;
  /** The first 100 refusals, with where they came from. */
  rejected: { source: string; id: string | null; reason: string }[];
  importedAt: string;
}

const BATCH = 1000;
const MAX_REJECTIONS_LISTED = 100;

interface Pending {
  vuln: VulnSummary;
  json: string;
}

function rowsOf(
  p: Pending,
  origin: VulnsTable['origin'],
  at: string,
  owner: { projectId: string | null; caseId: string | null },
) {
  const vuln: VulnsTable = {
    id: p.vuln.id,
    modified: p.vuln.modified,
    published: p.vuln.published,
    withdrawn: p.vuln.withdrawn,
    summary: p.vuln.summary,
    aliases: JSON.stringify(p.vuln.aliases),
    record: p.json,
    origin,
    project_id: owner.projectId,
    case_id: owner.caseId,
    imported_at: at,
  };
  const packages: VulnPackagesTable[] = p.vuln.affected.map((a, seq) => ({
    vuln_id: p.vuln.id,
    seq,
    package_key: packageKey(a.ecosystem, a.name),
    ecosystem: a.ecosystem,
    name: a.name,
    affected: JSON.stringify({ ranges: a.ranges, versions: a.versions }),
  }));
  return { vuln, packages };
}

async function writeBatch(trx: Trx, batch: Map<string, Pending>, report: ImportReport): Promise<void> {
  if (batch.size === 0) return;
  const stored = await storedVersions(trx, [...batch.keys()]);
  const vulns: VulnsTable[] = [];
  const packages: VulnPackagesTable[] = [];
  const replaced: string[] = [];
  for (const p of batch.values()) {
    const old = stored.get(p.vuln.id);
    if (old?.origin === 'project') {
      report.kept += 1;
      continue;
    }
    if (old && old.modified >= p.vuln.modified) {
      report.unchanged += 1;
      continue;
    }
    if (old) {
      report.updated += 1;
      replaced.push(p.vuln.id);
    } else {
      report.added += 1;
    }
    const rows = rowsOf(p, 'import', report.importedAt, { projectId: null, caseId: null });
    vulns.push(rows.vuln);
    packages.push(...rows.packages);
  }
  await deleteVulnPackages(trx, replaced);
  await upsertVulns(trx, vulns);
  await insertVulnPackages(trx, packages);
  batch.clear();
}

/**
 * The imported_at of a change: now, or just after the latest stored one when that is not earlier.
 * The latest imported_at is the database's generation (caches of lookups compare it), so a change
 * must move it even when it falls in the millisecond of the one before or the clock stepped back.
 */
async function changeTime(trx: Trx, deps: Pick<Deps, 'clock'>): Promise<string> {
  const now = deps.clock.now().getTime();
  const latest = await vulnDbGeneration(trx);
  return iso(new Date(latest === null ? now : Math.max(now, Date.parse(latest) + 1)));
}

/** Imports OSV records into the database, in the caller's transaction. */
export async function importOsvRecords(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  items: Iterable<OsvFileItem>,
): Promise<ImportReport> {
  const report: ImportReport = {
    read: 0,
    added: 0,
    updated: 0,
    unchanged: 0,
    kept: 0,
    rejectedCount: 0,
    rejected: [],
    importedAt: await changeTime(trx, deps),
  };
  const reject = (source: string, id: string | null, reason: string) => {
    report.rejectedCount += 1;
    if (report.rejected.length < MAX_REJECTIONS_LISTED) report.rejected.push({ source, id, reason });
  };
  const batch = new Map<string, Pending>();
  for (const item of items) {
    if (!item.ok) {
      reject(item.source, null, item.reason);
      continue;
    }
    report.read += 1;
    const read = readOsvRecord(item.value);
    if (!read.ok) {
      reject(item.source, read.id, read.reason);
      continue;
    }
    // The same id twice in one import (two exports that overlap): the later `modified` wins.
    const seen = batch.get(read.vuln.id);
    if (seen && seen.vuln.modified >= read.vuln.modified) {
      report.unchanged += 1;
      continue;
    }
    if (seen) report.unchanged += 1;
    batch.set(read.vuln.id, { vuln: read.vuln, json: JSON.stringify(item.value) });
    if (batch.size >= BATCH) await writeBatch(trx, batch, report);
  }
  await writeBatch(trx, batch, report);
  if (report.added + report.updated > 0) {
    await enqueue(trx, deps.clock, { kind: 'vulndb.changed', since: report.importedAt });
  }
  return report;
}

/**
 * Puts a project's published advisory (its OSV record) in the database, or replaces it after a
 * revision or withdrawal; the database then answers scans with it like any imported record.
 */
export async function storeProjectVuln(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { projectId: string; caseId: string; osv: unknown },
): Promise<void> {
  const read = readOsvRecord(input.osv);
  // Our own exporter wrote it: failing to read it back is a bug, not bad input.
  if (!read.ok) throw new Error(`the advisory's OSV record cannot be read back: ${read.reason}`);
  const at = await changeTime(trx, deps);
  const rows = rowsOf({ vuln: read.vuln, json: JSON.stringify(input.osv) }, 'project', at, {
    projectId: input.projectId,
    caseId: input.caseId,
  });
  await deleteVulnPackages(trx, [read.vuln.id]);
  await upsertVulns(trx, [rows.vuln]);
  await insertVulnPackages(trx, rows.packages);
  await enqueue(trx, deps.clock, { kind: 'vulndb.changed', since: at });
}

export interface VulnDbStats {
  total: number;
  imported: number;
  own: number;
  withdrawn: number;
  latestModified: string | null;
  ecosystems: { ecosystem: string; vulns: number; packages: number }[];
}

export async function vulnDbStats(db: DbOrTrx): Promise<VulnDbStats> {
  const counts = await vulnCounts(db);
  const of = (origin: string) => counts.find((c) => c.origin === origin)?.count ?? 0;
  const latest =
    counts
      .map((c) => c.latest)
      .filter((x): x is string => x !== null)
      .sort()
      .at(-1) ?? null;
  const ecosystems = (await ecosystemCounts(db)).sort(
    (a, b) => b.vulns - a.vulns || a.ecosystem.localeCompare(b.ecosystem),
  );
  return {
    total: counts.reduce((n, c) => n + c.count, 0),
    imported: of('import'),
    own: of('project'),
    withdrawn: counts.reduce((n, c) => n + c.withdrawn, 0),
    latestModified: latest,
    ecosystems,
  };
}
