import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { newId } from '../ids.js';
import { findBranchRow } from '../projects/projects.repository.js';
import { caseMoved } from '../severity/case-reminders.js';
import { insertHistory, lockCase } from './cases.repository.js';
import {
  affectedBranchIdsSupportedOn,
  branchesWithCaseStatus,
  type CasePackageRow,
  deletePackageRow,
  deleteRangeRow,
  findCaseBranchRow,
  findPackageByName,
  findPackageRow,
  findRangeRow,
  insertPackageRow,
  insertRangeRow,
  packageRowsOfCase,
  type PackageRangeRow,
  rangeRowsOfCase,
  rangeRowsOfPackage,
  saveCaseBranchRow,
} from './affected.repository.js';
import type { Case } from './cases.js';
import { checkPackageName, checkPurlFitsPackage, parseEcosystem } from './ecosystems.js';
import { formatPurl, parsePurl } from './purl.js';
import { checkFixReady } from './patches.service.js';

// Which releases a case touches, for the fix and for the advisory: the case's status on each
// release branch of its project, and the affected packages with OSV-style version ranges
// (introduced, then fixed or last_affected). The OSV, CVE and CSAF exporters read this as stored.

export const branchStatuses = ['affected', 'not_affected', 'unknown', 'fixed'] as const;
export type BranchStatus = (typeof branchStatuses)[number];

/** The case on one release branch. */
export interface CaseBranch {
  branchId: string;
  name: string;
  endOfSupport: string | null;
  /** Support has not ended: no end date, or the end date is today or later. */
  supported: boolean;
  /** 'unknown' until someone says. */
  status: BranchStatus;
  /** Set exactly when the status is 'fixed'. */
  fixedVersion: string | null;
  updatedAt: string | null;
}

/** OSV events of one range: introduced, then fixed or last affected (or neither while no release is fixed). */
export interface PackageRange {
  id: string;
  packageId: string;
  branchId: string | null;
  branchName: string | null;
  /** "0" means before every version. */
  introduced: string;
  fixed: string | null;
  lastAffected: string | null;
  createdAt: string;
}

export interface AffectedPackage {
  id: string;
  /** An OSV ecosystem as OSV spells it, possibly with a release suffix ("Debian:12"). */
  ecosystem: string;
  name: string;
  /** Canonical purl without a version, or null. */
  purl: string | null;
  createdAt: string;
  ranges: PackageRange[];
  /** The distinct fixed versions of the ranges, in range order. */
  fixedVersions: string[];
  /** Affected versions listed one by one (from an imported advisory), besides the ranges. */
  versions: string[];
}

export interface CaseAffected {
  /** Supported branches first, then those whose support ended; each by name. */
  branches: CaseBranch[];
  packages: AffectedPackage[];
}

/**
 * Whether a branch is supported at `now`: support lasts through its end date (a UTC calendar day),
 * so "2026-06-30" is still supported on that day and no longer on 2026-07-01.
 */
export function supportedOn(endOfSupport: string | null, now: Date): boolean {
  return endOfSupport === null || endOfSupport >= iso(now).slice(0, 10);
}

// Names sort the same on every engine (SQL collations differ) and as people read them: "1.9" before "1.10".
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
const byText = (a: string, b: string) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

function toRange(row: PackageRangeRow, branchNames: ReadonlyMap<string, string>): PackageRange {
  return {
    id: row.id,
    packageId: row.package_id,
    branchId: row.branch_id,
    branchName: row.branch_id === null ? null : (branchNames.get(row.branch_id) ?? null),
    introduced: row.introduced,
    fixed: row.fixed,
    lastAffected: row.last_affected,
    createdAt: row.created_at,
  };
}

function toPackage(row: CasePackageRow, ranges: PackageRange[]): AffectedPackage {
  const fixed = ranges.map((r) => r.fixed).filter((v): v is string => v !== null);
  return {
    id: row.id,
    ecosystem: row.ecosystem,
    name: row.name,
    purl: row.purl,
    createdAt: row.created_at,
    ranges,
    fixedVersions: [...new Set(fixed)],
    versions: JSON.parse(row.versions) as string[],
  };
}

/** The case on every branch of its project and its affected packages. No audit: the caller audits the case read. */
export async function caseAffected(
  db: DbOrTrx,
  theCase: Pick<Case, 'id' | 'projectId'>,
  now: Date,
): Promise<CaseAffected> {
  const rows = await branchesWithCaseStatus(db, theCase.id, theCase.projectId);
  const branches: CaseBranch[] = rows.map((r) => ({
    branchId: r.id,
    name: r.name,
    endOfSupport: r.end_of_support,
    supported: supportedOn(r.end_of_support, now),
    status: (r.status ?? 'unknown') as BranchStatus,
    fixedVersion: r.fixed_version ?? null,
    updatedAt: r.updated_at ?? null,
  }));
  branches.sort((a, b) => Number(b.supported) - Number(a.supported) || byText(a.name, b.name));
  const names = new Map(rows.map((r) => [r.id, r.name]));
  const ranges = (await rangeRowsOfCase(db, theCase.id)).map((r) => toRange(r, names));
  const rowsOfPackages = (await packageRowsOfCase(db, theCase.id)).sort(
    (a, b) => byText(a.ecosystem, b.ecosystem) || byText(a.name, b.name),
  );
  const packages = rowsOfPackages.map((p) =>
    toPackage(
      p,
      ranges.filter((r) => r.packageId === p.id),
    ),
  );
  return { branches, packages };
}

/** Ids of the supported branches on which the case is 'affected' (what a fix must cover). */
export async function affectedSupportedBranchIds(
  db: DbOrTrx,
  caseId: string,
  projectId: string,
  now: Date,
): Promise<string[]> {
  return affectedBranchIdsSupportedOn(db, { caseId, projectId, today: iso(now).slice(0, 10) });
}

// --- Checking input ---------------------------------------------------------------------------------

const VERSION_MAX = 100;

/** A version as OSV events hold it: one token, no spaces. */
function checkVersion(value: string, field: string): string {
  const text = value.trim();
  if (text.length < 1 || text.length > VERSION_MAX || /[\s\u0000-\u001f\u007f]/.test(text)) {
    throw new DomainError('VALIDATION_FAILED', `A version is 1 to ${VERSION_MAX} characters without spaces.`, {
      field,
    });
  }
  return text;
}

/** '' and null mean "none". */
const optional = (value: string | null | undefined): string | null => (value?.trim() ? value : null);

function checkStatus(value: string): BranchStatus {
  if (!(branchStatuses as readonly string[]).includes(value)) {
    throw new DomainError('VALIDATION_FAILED', `The status is one of: ${branchStatuses.join(', ')}.`, {
      field: 'status',
    });
  }
  return value as BranchStatus;
}

// --- Changing ---------------------------------------------------------------------------------------

interface Change {
  actor: Actor;
  origin: RequestOrigin;
  theCase: Pick<Case, 'id' | 'projectId' | 'number'>;
}

/** The case history entry, audit entry and reminder restart every change makes, in the caller's transaction. */
async function record(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: Change,
  entry: { change: string; previous: unknown; value: unknown; audit: string; detail: Record<string, unknown> },
): Promise<void> {
  const now = deps.clock.now();
  const { theCase, actor } = input;
  await insertHistory(trx, {
    id: newId(),
    case_id: theCase.id,
    project_id: theCase.projectId,
    at: iso(now),
    actor_user_id: actor.kind === 'user' ? actor.userId : null,
    actor_label: actorLabel(actor),
    change: entry.change,
    previous: entry.previous === null ? null : JSON.stringify(entry.previous),
    value: entry.value === null ? null : JSON.stringify(entry.value),
    reason: null,
  });
  // Ids, ecosystems and statuses only: which package is vulnerable is embargoed until publication.
  await recordAudit(trx, deps.clock, {
    actor,
    origin: input.origin,
    projectId: theCase.projectId,
    action: entry.audit,
    subjectType: 'case',
    subjectId: theCase.id,
    detail: { number: theCase.number, ...entry.detail },
  });
  await caseMoved(trx, deps, { caseId: theCase.id, projectId: theCase.projectId, at: now });
}

async function requireBranchOf(trx: Trx, projectId: string, branchId: string, field: string) {
  const branch = await findBranchRow(trx, { projectId, id: branchId });
  if (!branch) throw new DomainError('NOT_FOUND', 'No such release branch in this project.', { field });
  return branch;
}

export interface BranchStatusChange extends Change {
  branchId: string;
  status: string;
  /** Required for 'fixed', refused otherwise. */
  fixedVersion?: string | null;
}

/**
 * Sets the case's status on a release branch of its project (another project's branch is
 * NOT_FOUND). 'fixed' needs the version that fixes it; the other statuses take none. Returns
 * false when nothing changed (nothing written).
 */
export async function setBranchStatus(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: BranchStatusChange,
): Promise<boolean> {
  const status = checkStatus(input.status);
  const raw = optional(input.fixedVersion);
  if (status === 'fixed' && raw === null) {
    throw new DomainError('VALIDATION_FAILED', 'Say which version fixes this branch.', { field: 'fixedVersion' });
  }
  if (status !== 'fixed' && raw !== null) {
    throw new DomainError('VALIDATION_FAILED', 'Only a fixed branch has a fixed version: choose "fixed" or clear it.', {
      field: 'fixedVersion',
    });
  }
  const fixedVersion = raw === null ? null : checkVersion(raw, 'fixedVersion');
  const { theCase } = input;
  await lockCase(trx, theCase.id);
  const branch = await requireBranchOf(trx, theCase.projectId, input.branchId, 'branchId');
  const current = await findCaseBranchRow(trx, theCase.id, branch.id);
  const before = {
    status: (current?.status ?? 'unknown') as BranchStatus,
    fixedVersion: current?.fixed_version ?? null,
  };
  if (before.status === status && before.fixedVersion === fixedVersion) return false;
  await saveCaseBranchRow(trx, {
    case_id: theCase.id,
    branch_id: branch.id,
    status,
    fixed_version: fixedVersion,
    updated_at: iso(deps.clock.now()),
    updated_by: input.actor.kind === 'user' ? input.actor.userId : null,
  });
  await record(trx, deps, input, {
    change: 'branch.status',
    previous: { branch: branch.name, ...before },
    value: { branch: branch.name, status, fixedVersion },
    audit: 'case.affected.branch',
    detail: { branchId: branch.id, branch: branch.name, from: before.status, to: status, fixedVersion },
  });
  // A branch found not affected (or fixed) may leave every remaining affected branch approved.
  await checkFixReady(trx, deps, { actor: input.actor, origin: input.origin, theCase });
  return true;
}

export interface PackageInput extends Change {
  ecosystem: string;
  name: string;
  purl?: string | null;
}

/**
 * Adds an affected package: an OSV ecosystem, the package's name there and optionally its purl,
 * which must fit both (type, name, and no version). CONFLICT when the case already lists it.
 */
export async function addPackage(trx: Trx, deps: Pick<Deps, 'clock'>, input: PackageInput): Promise<AffectedPackage> {
  const ecosystem = parseEcosystem(input.ecosystem);
  const name = checkPackageName(ecosystem.base, input.name);
  const rawPurl = optional(input.purl);
  let purl: string | null = null;
  if (rawPurl !== null) {
    const parsed = parsePurl(rawPurl);
    checkPurlFitsPackage(ecosystem.base, name, parsed);
    purl = formatPurl(parsed);
  }
  const { theCase } = input;
  await lockCase(trx, theCase.id);
  if (await findPackageByName(trx, theCase.id, ecosystem.value, name)) {
    throw new DomainError('CONFLICT', 'This case already lists this package.', { field: 'name' });
  }
  const row = {
    id: newId(),
    case_id: theCase.id,
    ecosystem: ecosystem.value,
    name,
    purl,
    created_at: iso(deps.clock.now()),
  };
  await insertPackageRow(trx, { ...row, versions: '[]' });
  await record(trx, deps, input, {
    change: 'package.added',
    previous: null,
    value: { ecosystem: row.ecosystem, name, purl },
    audit: 'case.affected.package.added',
    detail: { packageId: row.id, ecosystem: row.ecosystem },
  });
  return toPackage({ ...row, versions: '[]' }, []);
}

/** Removes an affected package of this case with its ranges; another case's package is NOT_FOUND. */
export async function removePackage(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: Change & { packageId: string },
): Promise<void> {
  const { theCase } = input;
  await lockCase(trx, theCase.id);
  const row = await findPackageRow(trx, theCase.id, input.packageId);
  if (!row) throw new DomainError('NOT_FOUND', 'No such package on this case.');
  const ranges = await rangeRowsOfPackage(trx, row.id);
  await deletePackageRow(trx, row.id);
  await record(trx, deps, input, {
    change: 'package.removed',
    previous: { ecosystem: row.ecosystem, name: row.name, purl: row.purl, ranges: ranges.length },
    value: null,
    audit: 'case.affected.package.removed',
    detail: { packageId: row.id, ecosystem: row.ecosystem, ranges: ranges.length },
  });
}

export interface RangeInput extends Change {
  packageId: string;
  introduced: string;
  fixed?: string | null;
  lastAffected?: string | null;
  /** The release branch the range belongs to, if any; of the case's project. */
  branchId?: string | null;
}

/**
 * Adds a version range to a package of this case, as OSV events: `introduced` ("0" for "since the
 * beginning"), then `fixed` or `lastAffected`, never both. Neither is allowed: no release is fixed
 * yet, which is the usual state under embargo. CONFLICT for a range the package already has.
 */
export async function addRange(trx: Trx, deps: Pick<Deps, 'clock'>, input: RangeInput): Promise<PackageRange> {
  const introduced = checkVersion(input.introduced, 'introduced');
  const fixedRaw = optional(input.fixed);
  const lastRaw = optional(input.lastAffected);
  if (fixedRaw !== null && lastRaw !== null) {
    throw new DomainError(
      'VALIDATION_FAILED',
      'A range ends with the version that fixes it or with the last affected one, not both.',
      { field: 'lastAffected' },
    );
  }
  const fixed = fixedRaw === null ? null : checkVersion(fixedRaw, 'fixed');
  const lastAffected = lastRaw === null ? null : checkVersion(lastRaw, 'lastAffected');
  for (const [field, v] of [
    ['fixed', fixed],
    ['lastAffected', lastAffected],
  ] as const) {
    if (v === '0') {
      throw new DomainError('VALIDATION_FAILED', '"0" means "before every version": only a range can start there.', {
        field,
      });
    }
  }
  if (fixed !== null && fixed === introduced) {
    throw new DomainError('VALIDATION_FAILED', 'A range cannot be fixed in the version that introduced it.', {
      field: 'fixed',
    });
  }
  const branchId = optional(input.branchId);
  const { theCase } = input;
  await lockCase(trx, theCase.id);
  const pkg = await findPackageRow(trx, theCase.id, input.packageId);
  if (!pkg) throw new DomainError('NOT_FOUND', 'No such package on this case.');
  const branch = branchId === null ? null : await requireBranchOf(trx, theCase.projectId, branchId, 'branchId');
  const existing = await rangeRowsOfPackage(trx, pkg.id);
  const same = existing.some(
    (r) =>
      r.introduced === introduced &&
      r.fixed === fixed &&
      r.last_affected === lastAffected &&
      r.branch_id === (branch?.id ?? null),
  );
  if (same) throw new DomainError('CONFLICT', 'This package already has this range.', { field: 'introduced' });
  const row = {
    id: newId(),
    package_id: pkg.id,
    branch_id: branch?.id ?? null,
    introduced,
    fixed,
    last_affected: lastAffected,
    created_at: iso(deps.clock.now()),
  };
  await insertRangeRow(trx, row);
  await record(trx, deps, input, {
    change: 'range.added',
    previous: null,
    value: { package: `${pkg.ecosystem} ${pkg.name}`, introduced, fixed, lastAffected, branch: branch?.name ?? null },
    audit: 'case.affected.range.added',
    detail: { packageId: pkg.id, rangeId: row.id, branchId: row.branch_id },
  });
  const names = new Map(branch ? [[branch.id, branch.name]] : []);
  return toRange(row, names);
}

/** Removes a range of one of this case's packages; another case's range is NOT_FOUND. */
export async function removeRange(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: Change & { rangeId: string },
): Promise<void> {
  const { theCase } = input;
  await lockCase(trx, theCase.id);
  const row = await findRangeRow(trx, theCase.id, input.rangeId);
  if (!row) throw new DomainError('NOT_FOUND', 'No such range on this case.');
  const branch =
    row.branch_id === null ? undefined : await findBranchRow(trx, { projectId: theCase.projectId, id: row.branch_id });
  await deleteRangeRow(trx, row.id);
  await record(trx, deps, input, {
    change: 'range.removed',
    previous: {
      package: `${row.ecosystem} ${row.name}`,
      introduced: row.introduced,
      fixed: row.fixed,
      lastAffected: row.last_affected,
      branch: branch?.name ?? null,
    },
    value: null,
    audit: 'case.affected.range.removed',
    detail: { packageId: row.package_id, rangeId: row.id },
  });
}
