import { deleteInventory } from './inventories.repository.js';
import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import type { Project } from '../projects/projects.js';
import { readInventory } from './dependent-inventory.js';
import type { CurrentMatch, InventoryInput, Registration } from './dependents.js';
import { currentMatches } from './dependents-index.service.js';
import {
  findDependentInventory,
  findProjectDependent,
  insertDependentIfAbsent,
  inventoriesOfDependent,
} from './dependents.repository.js';
import { storeRegistration, toRegistration } from './dependents.service.js';

/*
 * A project of this instance as a dependent of other packages: its admins (project.dependents.manage,
 * checked by the routes) register SBOMs, lockfiles or package URLs in its name. The project has one
 * dependent row, active at once (its members' addresses are already confirmed); alerts go to its
 * members. Not to be confused with a release branch's inventories, which the branch monitoring
 * scans into findings.
 */

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;

// One row per project, of an id derived from the project's: two first registrations at once share it.
const dependentIdOf = (projectId: string) => `project:${projectId}`;

function uploaderOf(by: ActedBy): string {
  return by.actor.kind === 'user' ? by.actor.userId : by.actor.kind;
}

/** Registers (or replaces, by name) one of the project's inventories as a dependent. */
export async function registerProjectDependency(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { by: ActedBy; project: Project; inventory: InventoryInput },
): Promise<Registration> {
  const read = readInventory(input.inventory);
  const id = dependentIdOf(input.project.id);
  if (!(await findProjectDependent(trx, id))) {
    const at = iso(deps.clock.now());
    await insertDependentIfAbsent(trx, {
      id,
      project_id: input.project.id,
      name: input.project.name,
      email: null,
      status: 'active',
      confirm_token_hash: null,
      manage_token_hash: null,
      created_at: at,
      confirmed_at: at,
      unsubscribed_at: null,
    });
  }
  const registration = await storeRegistration(trx, deps, { dependentId: id, read, uploadedBy: uploaderOf(input.by) });
  await recordAudit(trx, deps.clock, {
    ...input.by,
    projectId: input.project.id,
    action: 'dependents.registered',
    subjectType: 'inventory',
    subjectId: registration.id,
    detail: { name: registration.name, format: registration.format, packages: registration.packageCount },
  });
  return registration;
}

/** The project's registrations and what currently affects them. */
export async function projectDependencies(
  db: DbOrTrx,
  projectId: string,
): Promise<{ registrations: Registration[]; matches: CurrentMatch[] }> {
  const dependent = await findProjectDependent(db, dependentIdOf(projectId));
  if (!dependent) return { registrations: [], matches: [] };
  const inventories = await inventoriesOfDependent(db, dependent.id);
  const matches = await currentMatches(db, {
    dependentId: dependent.id,
    projectId,
    inventoryIds: inventories.map((i) => i.id),
  });
  return { registrations: inventories.map(toRegistration), matches };
}

/** Removes one of the project's registrations. */
export async function removeProjectDependency(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { by: ActedBy; projectId: string; registrationId: string },
): Promise<void> {
  const dependent = await findProjectDependent(trx, dependentIdOf(input.projectId));
  const inventory = dependent
    ? await findDependentInventory(trx, dependent.id, { id: input.registrationId })
    : undefined;
  if (!inventory) throw new DomainError('NOT_FOUND', 'No such registration in this project.');
  await deleteInventory(trx, inventory.id);
  await recordAudit(trx, deps.clock, {
    ...input.by,
    projectId: input.projectId,
    action: 'dependents.removed',
    subjectType: 'inventory',
    subjectId: inventory.id,
    detail: { name: inventory.name },
  });
}
