import type { CompiledQuery } from 'kysely';
import { toNumber } from '../../db/dialect.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { VulnPackagesTable, VulnsTable } from './scan.table.js';
import { chunks, IDS_PER_STATEMENT } from '../../db/batches.js';

// Statements stay under both engines' bound-parameter limits (SQLite 32,766; PostgreSQL 65,535).
const ROWS_PER_INSERT = 400;

/** The stored `modified` and origin of each of `ids` that exists. */
export async function storedVersions(
  db: DbOrTrx,
  ids: readonly string[],
): Promise<Map<string, { modified: string; origin: string }>> {
  const out = new Map<string, { modified: string; origin: string }>();
  for (const part of chunks(ids, IDS_PER_STATEMENT)) {
    const rows = await db.selectFrom('vulns').select(['id', 'modified', 'origin']).where('id', 'in', part).execute();
    for (const r of rows) out.set(r.id, { modified: r.modified, origin: r.origin });
  }
  return out;
}

/** Inserts or replaces vulnerability rows (their package rows are replaced by the caller). */
export async function upsertVulns(trx: Trx, rows: readonly VulnsTable[]): Promise<void> {
  for (const part of chunks(rows, ROWS_PER_INSERT)) {
    await trx
      .insertInto('vulns')
      .values(part)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          modified: eb.ref('excluded.modified'),
          published: eb.ref('excluded.published'),
          withdrawn: eb.ref('excluded.withdrawn'),
          summary: eb.ref('excluded.summary'),
          aliases: eb.ref('excluded.aliases'),
          record: eb.ref('excluded.record'),
          origin: eb.ref('excluded.origin'),
          project_id: eb.ref('excluded.project_id'),
          case_id: eb.ref('excluded.case_id'),
          imported_at: eb.ref('excluded.imported_at'),
        })),
      )
      .execute();
  }
}

export async function deleteVulnPackages(trx: Trx, vulnIds: readonly string[]): Promise<void> {
  for (const part of chunks(vulnIds, IDS_PER_STATEMENT)) {
    await trx.deleteFrom('vuln_packages').where('vuln_id', 'in', part).execute();
  }
}

export async function insertVulnPackages(trx: Trx, rows: readonly VulnPackagesTable[]): Promise<void> {
  for (const part of chunks(rows, ROWS_PER_INSERT)) await trx.insertInto('vuln_packages').values(part).execute();
}

export interface CandidateRow {
  vuln_id: string;
  package_key: string;
  ecosystem: string;
  affected: string;
  withdrawn: string | null;
}

/** Every affected entry indexed under one of `keys`, with its vulnerability's withdrawal date. */
export async function candidatesForKeys(
  db: DbOrTrx,
  keys: readonly string[],
  options: { importedSince?: string } = {},
): Promise<CandidateRow[]> {
  const out: CandidateRow[] = [];
  for (const part of chunks(keys, IDS_PER_STATEMENT)) {
    let q = db
      .selectFrom('vuln_packages as p')
      .innerJoin('vulns as v', 'v.id', 'p.vuln_id')
      .select(['p.vuln_id', 'p.package_key', 'p.ecosystem', 'p.affected', 'v.withdrawn'])
      .where('p.package_key', 'in', part);
    if (options.importedSince !== undefined) q = q.where('v.imported_at', '>=', options.importedSince);
    out.push(...(await q.execute()));
  }
  return out;
}

export interface VulnDetailRow {
  id: string;
  summary: string;
  aliases: string;
  modified: string;
  published: string | null;
  record: string;
  origin: string;
}

export async function vulnDetails(db: DbOrTrx, ids: readonly string[]): Promise<VulnDetailRow[]> {
  const out: VulnDetailRow[] = [];
  for (const part of chunks(ids, IDS_PER_STATEMENT)) {
    out.push(
      ...(await db
        .selectFrom('vulns')
        .select(['id', 'summary', 'aliases', 'modified', 'published', 'record', 'origin'])
        .where('id', 'in', part)
        .execute()),
    );
  }
  return out;
}

export async function vulnCounts(
  db: DbOrTrx,
): Promise<{ origin: string; count: number; withdrawn: number; latest: string | null }[]> {
  const rows = await db
    .selectFrom('vulns')
    .select((eb) => [
      'origin',
      eb.fn.countAll().as('count'),
      eb.fn.count('withdrawn').as('withdrawn'),
      eb.fn.max('modified').as('latest'),
    ])
    .groupBy('origin')
    .execute();
  return rows.map((r) => ({
    origin: r.origin,
    count: toNumber(r.count as string | number),
    withdrawn: toNumber(r.withdrawn as string | number),
    latest: (r.latest as string | null) ?? null,
  }));
}

/** Distinct vulnerabilities and packages per ecosystem as the records spell it ("Debian:12"). */
export async function ecosystemCounts(db: DbOrTrx): Promise<{ ecosystem: string; vulns: number; packages: number }[]> {
  const rows = await db
    .selectFrom('vuln_packages')
    .select((eb) => [
      'ecosystem',
      eb.fn.count<string | number>('vuln_id').distinct().as('vulns'),
      eb.fn.count<string | number>('package_key').distinct().as('packages'),
    ])
    .groupBy('ecosystem')
    .execute();
  return rows.map((r) => ({ ecosystem: r.ecosystem, vulns: toNumber(r.vulns), packages: toNumber(r.packages) }));
}

// Compiled once per handle: scans ask it every time, and building the SQL cost more than running it.
const generationQueries = new WeakMap<DbOrTrx, CompiledQuery<{ at: string | null }>>();

/** When the database last changed (the latest imported_at): one probe of the end of its index. */
export async function vulnDbGeneration(db: DbOrTrx): Promise<string | null> {
  let query = generationQueries.get(db);
  if (!query) {
    query = db
      .selectFrom('vulns')
      .select((eb) => eb.fn.max('imported_at').as('at'))
      .compile();
    generationQueries.set(db, query);
  }
  const result = await db.executeQuery(query);
  return result.rows[0]?.at ?? null;
}
