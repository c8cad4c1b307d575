import type { Insertable, Selectable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { CaseBranchesTable, CasePackagesTable, PackageRangesTable } from './fix.table.js';

export type CaseBranchRow = Selectable<CaseBranchesTable>;
export type CasePackageRow = Selectable<CasePackagesTable>;
export type PackageRangeRow = Selectable<PackageRangesTable>;

/** Every release branch of the project with the case's row on it when there is one. */
export async function branchesWithCaseStatus(db: DbOrTrx, caseId: string, projectId: string) {
  return db
    .selectFrom('release_branches')
    .leftJoin('case_branches', (join) =>
      join.onRef('case_branches.branch_id', '=', 'release_branches.id').on('case_branches.case_id', '=', caseId),
    )
    .select([
      'release_branches.id',
      'release_branches.name',
      'release_branches.end_of_support',
      'case_branches.status',
      'case_branches.fixed_version',
      'case_branches.updated_at',
    ])
    .where('release_branches.project_id', '=', projectId)
    .execute();
}

/** Branches of the project where the case is 'affected' and whose support has not ended before `today` (YYYY-MM-DD). */
export async function affectedBranchIdsSupportedOn(
  db: DbOrTrx,
  input: { caseId: string; projectId: string; today: string },
): Promise<string[]> {
  const rows = await db
    .selectFrom('case_branches')
    .innerJoin('release_branches', 'release_branches.id', 'case_branches.branch_id')
    .select('release_branches.id')
    .where('case_branches.case_id', '=', input.caseId)
    .where('release_branches.project_id', '=', input.projectId)
    .where('case_branches.status', '=', 'affected')
    .where((eb) =>
      eb.or([
        eb('release_branches.end_of_support', 'is', null),
        eb('release_branches.end_of_support', '>=', input.today),
      ]),
    )
    .orderBy('release_branches.name')
    .execute();
  return rows.map((r) => r.id);
}

export async function findCaseBranchRow(db: DbOrTrx, caseId: string, branchId: string) {
  return db
    .selectFrom('case_branches')
    .selectAll()
    .where('case_id', '=', caseId)
    .where('branch_id', '=', branchId)
    .executeTakeFirst();
}

/** Inserts or replaces the case's row on a branch (the caller holds the case's lock). */
export async function saveCaseBranchRow(trx: Trx, row: Insertable<CaseBranchesTable>): Promise<void> {
  const { case_id: caseId, branch_id: branchId, ...rest } = row;
  const updated = await trx
    .updateTable('case_branches')
    .set(rest)
    .where('case_id', '=', caseId)
    .where('branch_id', '=', branchId)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) await trx.insertInto('case_branches').values(row).execute();
}

export async function packageRowsOfCase(db: DbOrTrx, caseId: string): Promise<CasePackageRow[]> {
  return db.selectFrom('case_packages').selectAll().where('case_id', '=', caseId).execute();
}

/** A package of this case, or undefined (also for another case's package). */
export async function findPackageRow(db: DbOrTrx, caseId: string, packageId: string) {
  return db
    .selectFrom('case_packages')
    .selectAll()
    .where('case_id', '=', caseId)
    .where('id', '=', packageId)
    .executeTakeFirst();
}

export async function findPackageByName(db: DbOrTrx, caseId: string, ecosystem: string, name: string) {
  return db
    .selectFrom('case_packages')
    .select('id')
    .where('case_id', '=', caseId)
    .where('ecosystem', '=', ecosystem)
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function insertPackageRow(trx: Trx, row: Insertable<CasePackagesTable>): Promise<void> {
  await trx.insertInto('case_packages').values(row).execute();
}

/** Deletes a package with its ranges. */
export async function deletePackageRow(trx: Trx, packageId: string): Promise<void> {
  await trx.deleteFrom('package_ranges').where('package_id', '=', packageId).execute();
  await trx.deleteFrom('case_packages').where('id', '=', packageId).execute();
}

/** The ranges of every package of the case, oldest first. */
export async function rangeRowsOfCase(db: DbOrTrx, caseId: string): Promise<PackageRangeRow[]> {
  return db
    .selectFrom('package_ranges')
    .innerJoin('case_packages', 'case_packages.id', 'package_ranges.package_id')
    .selectAll('package_ranges')
    .where('case_packages.case_id', '=', caseId)
    .orderBy('package_ranges.created_at')
    .orderBy('package_ranges.id')
    .execute();
}

export async function rangeRowsOfPackage(db: DbOrTrx, packageId: string): Promise<PackageRangeRow[]> {
  return db.selectFrom('package_ranges').selectAll().where('package_id', '=', packageId).execute();
}

/** A range of one of this case's packages, with that package, or undefined. */
export async function findRangeRow(db: DbOrTrx, caseId: string, rangeId: string) {
  return db
    .selectFrom('package_ranges')
    .innerJoin('case_packages', 'case_packages.id', 'package_ranges.package_id')
    .selectAll('package_ranges')
    .select(['case_packages.ecosystem', 'case_packages.name'])
    .where('case_packages.case_id', '=', caseId)
    .where('package_ranges.id', '=', rangeId)
    .executeTakeFirst();
}

export async function insertRangeRow(trx: Trx, row: Insertable<PackageRangesTable>): Promise<void> {
  await trx.insertInto('package_ranges').values(row).execute();
}

export async function deleteRangeRow(trx: Trx, rangeId: string): Promise<void> {
  await trx.deleteFrom('package_ranges').where('id', '=', rangeId).execute();
}

/** Sets the versions a package lists one by one (an import's OSV `versions`). */
export async function setPackageVersions(trx: Trx, packageId: string, versions: readonly string[]): Promise<void> {
  await trx
    .updateTable('case_packages')
    .set({ versions: JSON.stringify(versions) })
    .where('id', '=', packageId)
    .execute();
}
