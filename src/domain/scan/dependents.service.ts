import { deleteInventory, insertInventory } from './inventories.repository.js';
import { DAY_MS, HOUR_MS, iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { queueEmail } from '../../mail/outbox.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import { hashToken, newId, newSecretToken } from '../ids.js';
import { addressKey, hit } from '../instance/rate-limit.service.js';
import { validateEmail } from '../users/users.service.js';
import { type ReadInventory, readInventory } from './dependent-inventory.js';
import {
  confirmExpiredBefore,
  confirmExpiresAt,
  confirmUrl,
  linkSecret,
  manageToken,
  manageUrl,
} from './dependent-links.js';
import type { CurrentMatch, Dependent, DependentStatus, InventoryInput, Registration } from './dependents.js';
import { currentMatches } from './dependents-index.service.js';
import {
  type DependentInventoryRow,
  type DependentRow,
  deleteInventoriesOfDependent,
  deletePendingBefore,
  findDependent,
  findDependentInventory,
  insertDependent,
  inventoriesOfDependent,
  updateDependent,
} from './dependents.repository.js';
import { packageKey } from './package-key.js';

/*
 * Outside subscribers: a request from the public form or API makes a pending dependent with its
 * first registration and mails a confirmation link; nothing else reaches the address until its
 * owner follows it. Each request is a dependent of its own, so a stranger can neither add packages
 * to someone's registrations nor learn whether an address is registered (the answer is always the
 * same). Requests are limited per client address and, for the mails, per subscriber address, counted
 * in the transaction. After confirming, the manage link shows the registrations and what currently
 * affects them, replaces or removes a registration, and unsubscribes (which deletes them).
 */

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;
type SubscribeDeps = Pick<Deps, 'clock' | 'config'>;

const NAME_MAX = 200;
/** Confirmation mails per subscriber address per day (requests per client: config.listRequestsPerHour). */
const MAILS_PER_ADDRESS_PER_DAY = 3;

export function toDependent(row: DependentRow): Dependent {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    email: row.email,
    status: row.status as DependentStatus,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at,
    unsubscribedAt: row.unsubscribed_at,
  };
}

export function toRegistration(row: DependentInventoryRow): Registration {
  return {
    id: row.id,
    dependentId: row.dependent_id ?? '',
    name: row.name,
    format: row.format,
    sha256: row.sha256,
    packageCount: row.package_count,
    uploadedAt: row.uploaded_at,
  };
}

/** A dependent's name as shown to teams and in mail: one line, 1 to NAME_MAX characters. */
export function checkDependentName(name: string): string {
  const n = name.replace(/\s+/g, ' ').trim();
  if (n === '' || n.length > NAME_MAX) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `Give a name of 1 to ${NAME_MAX} characters (your project or organisation).`,
      {
        field: 'name',
      },
    );
  }
  return n;
}

/**
 * Stores a registration for a dependent, replacing the one of the same name (its packages and upload
 * time are the new ones). Returns it with the packages read.
 */
export async function storeRegistration(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { dependentId: string; read: ReadInventory; uploadedBy: string },
): Promise<Registration> {
  const { read } = input;
  const old = await findDependentInventory(trx, input.dependentId, { name: read.name });
  if (old) await deleteInventory(trx, old.id);
  const row: DependentInventoryRow = {
    id: newId(),
    project_id: null,
    branch_id: null,
    dependent_id: input.dependentId,
    name: read.name,
    format: read.format,
    sha256: read.sha256,
    package_count: read.packages.length,
    uploaded_at: iso(deps.clock.now()),
    uploaded_by: input.uploadedBy,
  };
  await insertInventory(
    trx,
    row,
    read.packages.map((p, seq) => ({ inventory_id: row.id, seq, package_key: packageKey(p.ecosystem, p.name), ...p })),
  );
  return toRegistration(row);
}

/**
 * A subscription request (public form or API). The registration is read first, so a bad file or
 * package URL is refused with nothing stored; the answer never says more than "check your mailbox".
 */
export async function requestDependentSubscription(
  trx: Trx,
  deps: SubscribeDeps,
  input: { name: string; email: string; inventory: InventoryInput; ip: string | null },
): Promise<void> {
  const name = checkDependentName(input.name);
  const email = validateEmail(input.email);
  const read = readInventory(input.inventory);
  const perClient = await hit(trx, deps.clock, {
    bucket: `dependents:ip:${addressKey(input.ip ?? 'unknown')}`,
    limit: deps.config.listRequestsPerHour,
    windowMs: HOUR_MS,
  });
  if (!perClient.allowed) {
    throw new DomainError('RATE_LIMITED', undefined, { retryAfterSeconds: perClient.retryAfterSeconds });
  }
  // A stranger must not be able to flood someone's mailbox with confirmation requests.
  const perAddress = await hit(trx, deps.clock, {
    bucket: `dependents:to:${hashToken(email)}`,
    limit: MAILS_PER_ADDRESS_PER_DAY,
    windowMs: DAY_MS,
  });
  if (!perAddress.allowed) return;
  const token = newSecretToken();
  const now = deps.clock.now();
  const at = iso(now);
  // Requests never confirmed are forgotten once their link has expired: the address was given by
  // someone who may not own it, and a registration nobody confirmed has no business in the index.
  await deletePendingBefore(trx, confirmExpiredBefore(now));
  const id = newId();
  await insertDependent(trx, {
    id,
    project_id: null,
    name,
    email,
    status: 'pending',
    confirm_token_hash: hashToken(token),
    manage_token_hash: null,
    created_at: at,
    confirmed_at: null,
    unsubscribed_at: null,
  });
  const registration = await storeRegistration(trx, deps, { dependentId: id, read, uploadedBy: 'subscriber' });
  await queueEmail(trx, deps, {
    to: email,
    projectId: null,
    reportId: null,
    email: {
      template: 'dependent-confirm',
      dependentName: name,
      registration: registration.name,
      packageCount: registration.packageCount,
      confirmUrl: confirmUrl(deps, token),
      expiresAt: confirmExpiresAt(at),
    },
  });
}

const badConfirmLink = () =>
  new DomainError('SETUP_TOKEN_INVALID', 'This confirmation link is wrong, used or expired: register again.');

/** The pending dependent behind a confirmation link, or SETUP_TOKEN_INVALID (wrong, used or expired). */
export async function pendingDependent(
  db: DbOrTrx,
  deps: Pick<Deps, 'clock'>,
  token: string,
): Promise<{ dependent: Dependent; registrations: Registration[] }> {
  const row = await findDependent(db, { confirmHash: hashToken(token) });
  if (!row || row.status !== 'pending' || confirmExpiresAt(row.created_at) <= iso(deps.clock.now())) {
    throw badConfirmLink();
  }
  return { dependent: toDependent(row), registrations: (await inventoriesOfDependent(db, row.id)).map(toRegistration) };
}

/** Confirms a registration (the link then stops working) and returns its manage token. */
export async function confirmDependent(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: { token: string; origin: AuditInput['origin'] },
): Promise<{ dependent: Dependent; manageToken: string }> {
  const { dependent } = await pendingDependent(trx, deps, input.token);
  const link = manageToken(await linkSecret(trx, deps), dependent.id);
  const at = iso(deps.clock.now());
  await updateDependent(trx, dependent.id, {
    status: 'active',
    confirmed_at: at,
    confirm_token_hash: null,
    manage_token_hash: link.hash,
  });
  await recordAudit(trx, deps.clock, {
    actor: { kind: 'anonymous' },
    origin: input.origin,
    projectId: null,
    action: 'dependent.confirmed',
    subjectType: 'dependent',
    subjectId: dependent.id,
  });
  return { dependent: { ...dependent, status: 'active', confirmedAt: at }, manageToken: link.token };
}

export interface ManageView {
  dependent: Dependent;
  registrations: Registration[];
  matches: CurrentMatch[];
  manageUrl: string;
}

/** The confirmed dependent of a manage link, or SETUP_TOKEN_INVALID. */
async function managedRow(db: DbOrTrx, token: string): Promise<DependentRow> {
  const row = await findDependent(db, { manageHash: hashToken(token) });
  if (!row || row.status === 'pending' || row.project_id !== null) {
    throw new DomainError('SETUP_TOKEN_INVALID', 'This link to manage a registration is not valid.');
  }
  return row;
}

/** What the manage link shows: the registrations and what currently affects them. */
export async function manageView(db: DbOrTrx, deps: Pick<Deps, 'config'>, token: string): Promise<ManageView> {
  const row = await managedRow(db, token);
  const inventories = await inventoriesOfDependent(db, row.id);
  const matches = await currentMatches(db, {
    dependentId: row.id,
    projectId: null,
    inventoryIds: inventories.map((i) => i.id),
  });
  return {
    dependent: toDependent(row),
    registrations: inventories.map(toRegistration),
    matches,
    manageUrl: manageUrl(deps, token),
  };
}

/** Adds a registration under a manage link, or replaces the one of the same name. */
export async function replaceRegistration(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { token: string; inventory: InventoryInput },
): Promise<Registration> {
  const row = await managedRow(trx, input.token);
  if (row.status !== 'active')
    throw new DomainError('INVALID_TRANSITION', 'Unsubscribed: register again from the form.');
  const read = readInventory(input.inventory);
  return storeRegistration(trx, deps, { dependentId: row.id, read, uploadedBy: 'subscriber' });
}

/** Removes one registration under a manage link. */
export async function removeRegistration(trx: Trx, input: { token: string; registrationId: string }): Promise<void> {
  const row = await managedRow(trx, input.token);
  const inventory = await findDependentInventory(trx, row.id, { id: input.registrationId });
  if (!inventory) throw new DomainError('NOT_FOUND', 'No such registration.');
  await deleteInventory(trx, inventory.id);
}

/** Ends the alerts and deletes the registrations; unsubscribing twice changes nothing. */
export async function unsubscribeDependent(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { token: string } & ActedBy,
): Promise<boolean> {
  const row = await managedRow(trx, input.token);
  if (row.status === 'unsubscribed') return false;
  await deleteInventoriesOfDependent(trx, row.id);
  await updateDependent(trx, row.id, { status: 'unsubscribed', unsubscribed_at: iso(deps.clock.now()) });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: null,
    action: 'dependent.unsubscribed',
    subjectType: 'dependent',
    subjectId: row.id,
  });
  return true;
}
