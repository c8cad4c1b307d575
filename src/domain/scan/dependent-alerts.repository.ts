import type { Insertable, Selectable } from 'kysely';
import { toNumber } from '../../db/dialect.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { DependentAlertsTable } from './scan.table.js';
import { chunks, IDS_PER_STATEMENT } from '../../db/batches.js';

// The vulnerability side of dependents' alerts (affected entries by vulnerability or by package
// key, with what the alert rules need of their record) and the alerts themselves.

// An alert row binds 10 values: 400 rows stay under both engines' bound-parameter limits.
const ROWS_PER_INSERT = 400;

export type DependentAlertRow = Selectable<DependentAlertsTable>;

export interface VulnEntryRow {
  vuln_id: string;
  package_key: string;
  ecosystem: string;
  affected: string;
  withdrawn: string | null;
  published: string | null;
  modified: string;
  summary: string;
  case_id: string | null;
  project_id: string | null;
}

/** The affected entries of some vulnerabilities, or every entry indexed under some package keys. */
export async function vulnEntries(
  db: DbOrTrx,
  by: { vulnIds: readonly string[] } | { keys: readonly string[] },
): Promise<VulnEntryRow[]> {
  const list = 'vulnIds' in by ? by.vulnIds : by.keys;
  const out: VulnEntryRow[] = [];
  for (const part of chunks(list, IDS_PER_STATEMENT)) {
    const q = db
      .selectFrom('vuln_packages as p')
      .innerJoin('vulns as v', 'v.id', 'p.vuln_id')
      .select([
        'p.vuln_id',
        'p.package_key',
        'p.ecosystem',
        'p.affected',
        'v.withdrawn',
        'v.published',
        'v.modified',
        'v.summary',
        'v.case_id',
        'v.project_id',
      ]);
    out.push(
      ...(await ('vulnIds' in by ? q.where('p.vuln_id', 'in', part) : q.where('p.package_key', 'in', part)).execute()),
    );
  }
  return out;
}

/** Up to `limit` ids of vulnerabilities imported or changed at or after `since`, in id order after `after`. */
export async function vulnIdsImportedSince(
  db: DbOrTrx,
  input: { since: string; after: string | null; limit: number },
): Promise<string[]> {
  let q = db.selectFrom('vulns').select('id').where('imported_at', '>=', input.since);
  if (input.after !== null) q = q.where('id', '>', input.after);
  return (await q.orderBy('id').limit(input.limit).execute()).map((r) => r.id);
}

/** vulnerability id -> the project whose published advisory it is (imported ones are left out). */
export async function vulnOwners(db: DbOrTrx, vulnIds: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const part of chunks(vulnIds, IDS_PER_STATEMENT)) {
    const rows = await db
      .selectFrom('vulns')
      .select(['id', 'project_id'])
      .where('id', 'in', part)
      .where('project_id', 'is not', null)
      .execute();
    for (const r of rows) if (r.project_id !== null) out.set(r.id, r.project_id);
  }
  return out;
}

/** The vulnerability ids stored for a case's published advisory. */
export async function vulnIdsOfCase(db: DbOrTrx, caseId: string): Promise<string[]> {
  return (await db.selectFrom('vulns').select('id').where('case_id', '=', caseId).execute()).map((r) => r.id);
}

/**
 * Inserts alerts, skipping those already told (the unique key: dependent, vulnerability, package,
 * version), and returns the rows it inserted. Under concurrent workers on PostgreSQL the second
 * insert of a key waits for the first transaction and then inserts nothing: each alert once.
 */
export async function insertNewAlerts(
  trx: Trx,
  rows: readonly Insertable<DependentAlertsTable>[],
): Promise<DependentAlertRow[]> {
  const out: DependentAlertRow[] = [];
  for (const part of chunks(rows, ROWS_PER_INSERT)) {
    out.push(
      ...(await trx
        .insertInto('dependent_alerts')
        .values(part)
        .onConflict((oc) => oc.columns(['dependent_id', 'vuln_id', 'package_key', 'version']).doNothing())
        .returningAll()
        .execute()),
    );
  }
  return out;
}

/** How many dependents were ever alerted about one of `vulnIds`. */
export async function alertedDependentCount(db: DbOrTrx, vulnIds: readonly string[]): Promise<number> {
  if (vulnIds.length === 0) return 0;
  const row = await db
    .selectFrom('dependent_alerts')
    .select((eb) => eb.fn.count<string | number>('dependent_id').distinct().as('n'))
    .where('vuln_id', 'in', vulnIds)
    .executeTakeFirstOrThrow();
  return toNumber(row.n);
}

export interface CaseAlertRow extends DependentAlertRow {
  dependent_name: string;
  dependent_email: string | null;
  dependent_project_id: string | null;
}

/** The alerts told about a case's advisory, oldest first. */
export async function alertsOfCase(db: DbOrTrx, caseId: string): Promise<CaseAlertRow[]> {
  return db
    .selectFrom('dependent_alerts as a')
    .innerJoin('dependents as d', 'd.id', 'a.dependent_id')
    .selectAll('a')
    .select(['d.name as dependent_name', 'd.email as dependent_email', 'd.project_id as dependent_project_id'])
    .where('a.case_id', '=', caseId)
    .orderBy('a.created_at')
    .orderBy('d.name')
    .orderBy('a.name')
    .execute();
}
