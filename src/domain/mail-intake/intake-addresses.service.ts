import type { Clock } from '../../clock.js';
import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import { DomainError } from '../../errors.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import { newId } from '../ids.js';
import {
  deleteIntakeAddressRow,
  findIntakeAddressRow,
  insertIntakeAddressRow,
  intakeAddressRows,
  type IntakeAddressRow,
} from './intake-addresses.repository.js';

/** An address whose mail becomes reports of one project. Unique across the instance. */
export interface IntakeAddress {
  id: string;
  projectId: string;
  /** Lowercased, e.g. security@example.org. */
  address: string;
  createdAt: string;
}

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;

// Deliberately narrow: these addresses are typed by admins and matched byte for byte against SMTP
// recipients, so there is no room for quoting, comments or odd characters. `+r-` is reserved for
// reply addresses, which must never be confused with an intake address.
const LOCAL = /^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

function toIntakeAddress(row: IntakeAddressRow): IntakeAddress {
  return { id: row.id, projectId: row.project_id, address: row.address, createdAt: row.created_at };
}

/** The address lowercased and checked, or VALIDATION_FAILED (field `address`). */
export function normaliseIntakeAddress(raw: string): string {
  const address = raw.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (at < 1 || !LOCAL.test(local) || local.includes('..') || !DOMAIN.test(domain) || local.includes('+r-')) {
    throw new DomainError('VALIDATION_FAILED', 'Enter a plain email address, such as security@example.org.', {
      field: 'address',
    });
  }
  return address;
}

export async function listIntakeAddresses(db: DbOrTrx, projectId: string): Promise<IntakeAddress[]> {
  return (await intakeAddressRows(db, projectId)).map(toIntakeAddress);
}

/** The project whose intake address `address` is (case-insensitive), or null. */
export async function projectForRecipient(db: DbOrTrx, address: string): Promise<string | null> {
  const row = await findIntakeAddressRow(db, { address: address.trim().toLowerCase() });
  return row?.project_id ?? null;
}

/** Adds an intake address to a project; CONFLICT when any project already has it. */
export async function addIntakeAddress(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; address: string },
): Promise<IntakeAddress> {
  const address = normaliseIntakeAddress(options.address);
  const row = { id: newId(), project_id: options.projectId, address, created_at: iso(clock.now()) };
  // ON CONFLICT DO NOTHING: a second request racing this one is told CONFLICT, not a 500.
  if (!(await insertIntakeAddressRow(trx, row))) {
    throw new DomainError('CONFLICT', 'This address already receives mail for a project.', { field: 'address' });
  }
  await recordAudit(trx, clock, {
    ...options.by,
    projectId: options.projectId,
    action: 'mail.address_added',
    subjectType: 'intake_address',
    subjectId: row.id,
    detail: { address },
  });
  return toIntakeAddress(row);
}

/** Removes one of the project's intake addresses; another project's is NOT_FOUND. */
export async function removeIntakeAddress(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; addressId: string },
): Promise<void> {
  const row = await findIntakeAddressRow(trx, { id: options.addressId, projectId: options.projectId });
  if (!row) throw new DomainError('NOT_FOUND');
  await deleteIntakeAddressRow(trx, row.id);
  await recordAudit(trx, clock, {
    ...options.by,
    projectId: options.projectId,
    action: 'mail.address_removed',
    subjectType: 'intake_address',
    subjectId: row.id,
    detail: { address: row.address },
  });
}
