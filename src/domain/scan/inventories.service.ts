import crypto from 'node:crypto';
import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { newId } from '../ids.js';
import type { ReleaseBranch } from '../projects/projects.js';
import { findBranchRow, toBranch } from '../projects/projects.repository.js';
import type { Evaluation } from './findings.js';
import { lockBranch } from './findings.repository.js';
import { reevaluateBranch } from './findings.service.js';
import {
  deleteInventory,
  findBranchInventory,
  findInventoryById,
  insertInventory,
  type InventoryListRow,
  inventoriesOfBranches,
} from './inventories.repository.js';
import { LockfileError, type LockfileParser, type ScannedPackage } from './inventory.js';
import { PARSERS, parserFor, parserNamed } from './lockfiles/index.js';
import { packageKey } from './package-key.js';

// The lockfiles and SBOMs a project registers for its release branches, by upload or from its CI:
// parsed whole before anything is stored (a file that does not parse stores nothing), kept as
// their packages, one inventory per (branch, name), and the branch's findings re-evaluated in the
// same transaction.

/** A registered lockfile or SBOM of a release branch. */
export interface Inventory {
  id: string;
  branchId: string;
  /** As registered: the file's path in the repository, e.g. "package-lock.json" or "web/yarn.lock". */
  name: string;
  format: string;
  sha256: string;
  packageCount: number;
  uploadedAt: string;
  /** The account's name, or the label of the tool that registered it. */
  uploadedBy: string;
}

/**
 * The size of the monorepo lockfiles seen in the wild (a package-lock.json of ten thousand packages
 * is around 10 MB) and the limit of the upload form's files.
 */
export const MAX_INVENTORY_BYTES = 10 * 1024 * 1024;
const MAX_NAME = 200;

function toInventory(row: InventoryListRow): Inventory {
  return {
    id: row.id,
    branchId: row.branch_id ?? '',
    name: row.name,
    format: row.format,
    sha256: row.sha256,
    packageCount: row.package_count,
    uploadedAt: row.uploaded_at,
    uploadedBy: row.uploader_name ?? row.uploaded_by,
  };
}

/** The formats an upload may name. */
export const supportedFormats = (): string[] => PARSERS.map((p) => p.format);

const formatList = () => (PARSERS.length ? supportedFormats().join(', ') : 'none yet');

export function validateInventoryName(value: string): string {
  const name = value.trim();
  // One line, printable: it is shown and used in URLs.
  if (name.length < 1 || name.length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new DomainError('VALIDATION_FAILED', `The name is 1 to ${MAX_NAME} characters on one line.`, {
      field: 'name',
    });
  }
  return name;
}

function parserOf(name: string, format: string | undefined): LockfileParser {
  const parser = format ? parserNamed(format) : parserFor(name);
  if (parser) return parser;
  const message = format
    ? `The format "${format.slice(0, 100)}" is not one this server reads. Supported formats: ${formatList()}.`
    : `The format of "${name}" cannot be told from its name: give the format. Supported formats: ${formatList()}.`;
  throw new DomainError('VALIDATION_FAILED', message, { field: 'format' });
}

/** The packages of the file, or VALIDATION_FAILED with the parser's reason. */
export function parseInventory(input: { name: string; format?: string; text: string }): {
  name: string;
  format: string;
  packages: ScannedPackage[];
} {
  const name = validateInventoryName(input.name);
  const parser = parserOf(name, input.format?.trim() ? input.format.trim() : undefined);
  if (Buffer.byteLength(input.text, 'utf8') > MAX_INVENTORY_BYTES) {
    throw new DomainError('PAYLOAD_TOO_LARGE', `A lockfile or SBOM is at most ${MAX_INVENTORY_BYTES} bytes.`);
  }
  // A byte order mark (editors on Windows write one) is not part of any of these formats.
  const text = input.text.startsWith('\uFEFF') ? input.text.slice(1) : input.text;
  try {
    return { name, format: parser.format, packages: parser.parse(text, name) };
  } catch (err) {
    if (err instanceof LockfileError) throw new DomainError('VALIDATION_FAILED', err.message, { field: 'content' });
    throw err;
  }
}

/** A branch of the project by id or name, or NOT_FOUND. */
export async function requireProjectBranch(
  db: DbOrTrx,
  where: { projectId: string } & ({ id: string } | { name: string }),
): Promise<ReleaseBranch> {
  const row = await findBranchRow(db, where);
  if (!row) throw new DomainError('NOT_FOUND', 'No such release branch in this project.');
  return toBranch(row);
}

type ActedBy = { actor: Actor; origin: RequestOrigin };

/** Registers (or replaces) a branch's lockfile or SBOM, in the caller's transaction, and re-evaluates the branch. */
export async function registerInventory(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: ActedBy & { projectId: string; branchId: string; name: string; format?: string; text: string },
): Promise<{ inventory: Inventory; replaced: boolean; evaluation: Evaluation }> {
  const parsed = parseInventory(input);
  const branch = await requireProjectBranch(trx, { projectId: input.projectId, id: input.branchId });
  // Two uploads of one (branch, name) must not both insert: the branch lock orders them.
  await lockBranch(trx, branch.id);
  const old = await findBranchInventory(trx, branch.id, parsed.name);
  if (old) await deleteInventory(trx, old.id);
  const row = {
    id: newId(),
    project_id: input.projectId,
    branch_id: branch.id,
    dependent_id: null,
    name: parsed.name,
    format: parsed.format,
    sha256: crypto.createHash('sha256').update(input.text, 'utf8').digest('hex'),
    package_count: parsed.packages.length,
    uploaded_at: iso(deps.clock.now()),
    // The account, whose name is shown; a tool (the CLI) by its label.
    uploaded_by: input.actor.kind === 'user' ? input.actor.userId : actorLabel(input.actor),
  };
  await insertInventory(
    trx,
    row,
    parsed.packages.map((p, seq) => ({
      inventory_id: row.id,
      seq,
      package_key: packageKey(p.ecosystem, p.name),
      ecosystem: p.ecosystem,
      name: p.name,
      version: p.version,
    })),
  );
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: input.projectId,
    action: old ? 'inventory.replaced' : 'inventory.registered',
    subjectType: 'release_branch',
    subjectId: branch.id,
    detail: {
      branch: branch.name,
      name: row.name,
      format: row.format,
      packages: row.package_count,
      sha256: row.sha256,
    },
  });
  const evaluation = await reevaluateBranch(trx, deps, { branchId: branch.id });
  const [stored] = await inventoriesOfBranches(trx, input.projectId, { id: row.id });
  if (!stored) throw new Error('an inventory vanished inside its own transaction');
  return { inventory: toInventory(stored), replaced: old !== undefined, evaluation };
}

/** Removes a branch's inventory (by id, or by its name on the branch) and re-evaluates the branch. */
export async function removeInventory(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: ActedBy & { projectId: string } & ({ inventoryId: string } | { branchId: string; name: string }),
): Promise<{ inventory: Inventory; evaluation: Evaluation }> {
  const row =
    'inventoryId' in input
      ? await findInventoryById(trx, input.projectId, input.inventoryId)
      : await findBranchInventory(trx, input.branchId, input.name);
  if (!row?.branch_id || row.project_id !== input.projectId) {
    throw new DomainError('NOT_FOUND', 'No such lockfile or SBOM on this branch.');
  }
  const branch = await requireProjectBranch(trx, { projectId: input.projectId, id: row.branch_id });
  await lockBranch(trx, branch.id);
  const [listed] = await inventoriesOfBranches(trx, input.projectId, { id: row.id });
  if (!listed) throw new DomainError('NOT_FOUND', 'No such lockfile or SBOM on this branch.');
  await deleteInventory(trx, row.id);
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: input.projectId,
    action: 'inventory.removed',
    subjectType: 'release_branch',
    subjectId: branch.id,
    detail: { branch: branch.name, name: row.name, format: row.format },
  });
  return { inventory: toInventory(listed), evaluation: await reevaluateBranch(trx, deps, { branchId: branch.id }) };
}

/** The inventories of a project's branches (all of them, or the ones given). */
export async function listInventories(
  db: DbOrTrx,
  input: { projectId: string; branchIds?: readonly string[] },
): Promise<Inventory[]> {
  const only = input.branchIds ? { branchIds: input.branchIds } : {};
  return (await inventoriesOfBranches(db, input.projectId, only)).map(toInventory);
}
