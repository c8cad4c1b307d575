import type { Clock } from '../../clock.js';
import { iso } from '../../clock.js';
import { isUniqueViolation } from '../../db/dialect.js';
import type { Trx } from '../../db/types.js';
import { DomainError } from '../../errors.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import { newId } from '../ids.js';
import type { ReleaseBranch } from './projects.js';
import {
  casesReferencingBranch,
  deleteBranchRow,
  findBranchRow,
  insertBranchRow,
  toBranch,
  updateBranchRow,
} from './projects.repository.js';

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A YYYY-MM-DD calendar date, or null for an empty value ("supported until further notice"). */
export function validateEndOfSupport(value: string | null): string | null {
  const text = value?.trim() ?? '';
  if (text === '') return null;
  const m = DATE.exec(text);
  // Round-tripping through Date rejects impossible days such as 2026-02-30.
  const real = m && new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).toISOString().slice(0, 10);
  if (real !== text) {
    throw new DomainError('VALIDATION_FAILED', 'The end of support is a date written YYYY-MM-DD.', {
      field: 'endOfSupport',
    });
  }
  return text;
}

export function validateBranchName(value: string): string {
  const name = value.trim();
  // Refusing control characters is the point.
  if (name.length < 1 || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new DomainError('VALIDATION_FAILED', 'A branch name is 1 to 100 characters on one line.', { field: 'name' });
  }
  return name;
}

async function requireBranch(trx: Trx, projectId: string, branchId: string) {
  const row = await findBranchRow(trx, { projectId, id: branchId });
  if (!row) throw new DomainError('NOT_FOUND');
  return row;
}

function audit(trx: Trx, clock: Clock, by: ActedBy, projectId: string, action: string, branch: ReleaseBranch) {
  return recordAudit(trx, clock, {
    ...by,
    projectId,
    action,
    subjectType: 'release_branch',
    subjectId: branch.id,
    detail: { name: branch.name, endOfSupport: branch.endOfSupport },
  });
}

export async function addBranch(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; name: string; endOfSupport: string | null },
): Promise<ReleaseBranch> {
  const name = validateBranchName(options.name);
  const endOfSupport = validateEndOfSupport(options.endOfSupport);
  const taken = () =>
    new DomainError('CONFLICT', 'This project already has a branch with this name.', { field: 'name' });
  if (await findBranchRow(trx, { projectId: options.projectId, name })) throw taken();
  const row = {
    id: newId(),
    project_id: options.projectId,
    name,
    end_of_support: endOfSupport,
    created_at: iso(clock.now()),
  };
  try {
    await insertBranchRow(trx, row);
  } catch (err) {
    // The same name added by someone else between the check above and this insert.
    throw isUniqueViolation(err) ? taken() : err;
  }
  const branch = toBranch(row);
  await audit(trx, clock, options.by, options.projectId, 'branch.added', branch);
  return branch;
}

export async function updateBranch(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; branchId: string; endOfSupport: string | null },
): Promise<ReleaseBranch> {
  const endOfSupport = validateEndOfSupport(options.endOfSupport);
  const row = await requireBranch(trx, options.projectId, options.branchId);
  if (row.end_of_support === endOfSupport) return toBranch(row);
  await updateBranchRow(trx, row.id, endOfSupport);
  const branch = toBranch({ ...row, end_of_support: endOfSupport });
  await audit(trx, clock, options.by, options.projectId, 'branch.updated', branch);
  return branch;
}

export async function removeBranch(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; branchId: string },
): Promise<void> {
  const row = await requireBranch(trx, options.projectId, options.branchId);
  // Cases hold their fix work per branch (status, patches, reviews); removing the branch would
  // delete it silently. A branch that is no longer maintained gets an end of support instead.
  const cases = await casesReferencingBranch(trx, row.id);
  if (cases.length > 0) {
    throw new DomainError(
      'CONFLICT',
      `Case${cases.length === 1 ? '' : 's'} ${cases.map((n) => `#${n}`).join(', ')} record${cases.length === 1 ? 's' : ''} fix work on this branch: set its end of support instead of removing it.`,
      { field: 'branchId' },
    );
  }
  await deleteBranchRow(trx, row.id);
  await audit(trx, clock, options.by, options.projectId, 'branch.removed', toBranch(row));
}
