import * as openpgp from 'openpgp';
import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { queueEmail } from '../../mail/outbox.js';
import { actorLabel } from '../../policies/actor.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import { newId } from '../ids.js';
import { usablePublicKey } from '../pgp/sender-keys.js';
import { getProjectById } from '../projects/projects.service.js';
import { accountSetupLink } from '../users/setup.service.js';
import { findUserRowByEmail, toUser } from '../users/users.repository.js';
import { createUser, validateEmail } from '../users/users.service.js';
import type { User } from '../users/users.js';
import type { Distributor, DistributorContact, TermsAcceptance } from './distributors.js';
import {
  type AcceptanceRow,
  acceptanceRows,
  type ContactRow,
  contactRows,
  type DistributorRow,
  distributorRows,
  findContactRow,
  findDistributorRow,
  insertAcceptanceRow,
  insertContactRow,
  insertDistributorRow,
  markContactRemoved,
  markDistributorRemoved,
} from './distributors.repository.js';
import { getProgram } from './program.service.js';

// The organisations of a project's distributor programme and their contacts. A contact is an
// account: they sign in to the distributor portal, which shows the notices sent to their
// organisation. Callers check 'project.distributors.manage' (admins) or, for a contact accepting
// the terms, 'distributor.terms.accept'.

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;
type DistributorDeps = Pick<Deps, 'clock' | 'config'>;

const NAME_MAX = 200;
const URL_MAX = 500;
const KEY_MAX = 200_000;
const HTTP_URL = /^https?:\/\/[^\s<>"]+$/;

const invalid = (field: string, message: string) => new DomainError('VALIDATION_FAILED', message, { field });

function toContact(row: ContactRow): DistributorContact {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    email: row.email,
    pgpFingerprint: row.pgp_fingerprint,
    createdAt: row.created_at,
  };
}

const toAcceptance = (row: AcceptanceRow): TermsAcceptance => ({
  termsVersion: row.terms_version,
  acceptedAt: row.accepted_at,
  label: row.label,
  note: row.note,
});

async function assemble(db: DbOrTrx, projectId: string, rows: DistributorRow[]): Promise<Distributor[]> {
  const ids = rows.map((r) => r.id);
  const [contacts, acceptances, program] = await Promise.all([
    contactRows(db, ids),
    acceptanceRows(db, ids),
    getProgram(db, projectId),
  ]);
  return rows.map((row) => {
    const latest = acceptances.find((a) => a.distributor_id === row.id);
    return {
      id: row.id,
      projectId: row.project_id,
      name: row.name,
      website: row.website,
      createdAt: row.created_at,
      contacts: contacts.filter((c) => c.distributor_id === row.id).map(toContact),
      acceptance: latest ? toAcceptance(latest) : null,
      acceptedCurrentTerms: acceptances.some(
        (a) => a.distributor_id === row.id && a.terms_version === program.termsVersion,
      ),
    };
  });
}

/** The project's distributors (not removed), by name, with contacts and acceptance. */
export async function listDistributors(db: DbOrTrx, projectId: string): Promise<Distributor[]> {
  return assemble(db, projectId, await distributorRows(db, projectId));
}

export async function requireDistributor(db: DbOrTrx, projectId: string, id: string): Promise<Distributor> {
  const row = await findDistributorRow(db, projectId, id);
  if (!row) throw new DomainError('NOT_FOUND', 'No such distributor in this project.');
  const [distributor] = await assemble(db, projectId, [row]);
  if (!distributor) throw new DomainError('NOT_FOUND', 'No such distributor in this project.');
  return distributor;
}

async function audit(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  by: ActedBy,
  projectId: string,
  action: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await recordAudit(trx, deps.clock, {
    ...by,
    projectId,
    action,
    subjectType: 'distributor',
    subjectId: String(detail.distributorId),
    detail,
  });
}

export async function addDistributor(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { by: ActedBy; projectId: string; name: string; website: string | null },
): Promise<Distributor> {
  const name = input.name.replace(/\s+/g, ' ').trim();
  if (!name || name.length > NAME_MAX)
    throw invalid('name', `A distributor needs a name (at most ${NAME_MAX} characters).`);
  const website = input.website?.trim() || null;
  if (website && (website.length > URL_MAX || !HTTP_URL.test(website))) {
    throw invalid('website', 'The website is an http:// or https:// address.');
  }
  if ((await distributorRows(trx, input.projectId)).some((d) => d.name.toLowerCase() === name.toLowerCase())) {
    throw new DomainError('CONFLICT', 'The project already has a distributor of this name.', { field: 'name' });
  }
  const id = newId();
  await insertDistributorRow(trx, {
    id,
    project_id: input.projectId,
    name,
    website,
    created_at: iso(deps.clock.now()),
    created_by: input.by.actor.kind === 'user' ? input.by.actor.userId : null,
    removed_at: null,
  });
  await audit(trx, deps, input.by, input.projectId, 'distributor.added', { distributorId: id });
  return requireDistributor(trx, input.projectId, id);
}

/** Removes a distributor and its contacts' access; what it was sent stays on the cases. */
export async function removeDistributor(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { by: ActedBy; projectId: string; distributorId: string },
): Promise<void> {
  const row = await findDistributorRow(trx, input.projectId, input.distributorId);
  if (!row) throw new DomainError('NOT_FOUND', 'No such distributor in this project.');
  await markDistributorRemoved(trx, row.id, iso(deps.clock.now()));
  await audit(trx, deps, input.by, input.projectId, 'distributor.removed', { distributorId: row.id });
}

/** An armored public key that mail can be encrypted to now, with its fingerprint; VALIDATION_FAILED otherwise. */
export async function readContactKey(armored: string, date: Date): Promise<{ armored: string; fingerprint: string }> {
  const text = armored.trim();
  if (text.length > KEY_MAX) throw invalid('pgpKey', 'This is too large to be one OpenPGP key.');
  let key: openpgp.Key;
  try {
    key = await openpgp.readKey({ armoredKey: text });
  } catch {
    throw invalid('pgpKey', 'This is not an armored OpenPGP public key (-----BEGIN PGP PUBLIC KEY BLOCK-----).');
  }
  const usable = await usablePublicKey(key, date);
  if (!usable)
    throw invalid(
      'pgpKey',
      'Mail cannot be encrypted to this key: it is expired, revoked or has no encryption subkey.',
    );
  return { armored: usable.armor(), fingerprint: usable.getFingerprint().toUpperCase() };
}

/** The account of a new contact: an existing, enabled one, or a new one without a password. */
async function contactAccount(trx: Trx, deps: DistributorDeps, email: string, name: string | undefined): Promise<User> {
  const existing = await findUserRowByEmail(trx, email);
  if (!existing) {
    const shown = name?.trim() || email.split('@')[0] || email;
    if (shown.length > NAME_MAX) throw invalid('name', `A name is at most ${NAME_MAX} characters.`);
    return createUser(trx, deps.clock, { email, name: shown });
  }
  const user = toUser(existing);
  if (user.disabled) throw invalid('email', 'This account is disabled; an instance admin can enable it.');
  return user;
}

/**
 * Adds a contact to a distributor: their account (created when new) and optionally the key their
 * mail is encrypted to. They are mailed a welcome with the portal's address and, for an account
 * without a password, a fresh setup link (any older one stops working, so only the mailbox's
 * owner can act as this contact).
 */
export async function addContact(
  trx: Trx,
  deps: DistributorDeps,
  input: {
    by: ActedBy;
    projectId: string;
    distributorId: string;
    email: string;
    name?: string;
    pgpKey?: string | null;
  },
): Promise<DistributorContact> {
  const distributor = await findDistributorRow(trx, input.projectId, input.distributorId);
  if (!distributor) throw new DomainError('NOT_FOUND', 'No such distributor in this project.');
  const email = validateEmail(input.email);
  const key = input.pgpKey?.trim() ? await readContactKey(input.pgpKey, deps.clock.now()) : null;
  const user = await contactAccount(trx, deps, email, input.name);
  if ((await contactRows(trx, [distributor.id])).some((c) => c.user_id === user.id)) {
    throw new DomainError('CONFLICT', 'This person is already a contact of this distributor.', { field: 'email' });
  }
  const id = newId();
  await insertContactRow(trx, {
    id,
    distributor_id: distributor.id,
    project_id: distributor.project_id,
    user_id: user.id,
    pgp_key: key?.armored ?? null,
    pgp_fingerprint: key?.fingerprint ?? null,
    created_at: iso(deps.clock.now()),
    removed_at: null,
  });
  const link = user.hasPassword ? null : await accountSetupLink(trx, deps, user.id);
  const project = await getProjectById(trx, distributor.project_id);
  const base = deps.config.publicUrl.href.replace(/\/+$/, '');
  await queueEmail(trx, deps, {
    to: user.email,
    projectId: distributor.project_id,
    reportId: null,
    ...(key ? { encryptToKey: key.armored } : {}),
    email: {
      template: 'distributor-welcome',
      name: user.name,
      projectName: project?.name ?? 'a project',
      distributorName: distributor.name,
      portalUrl: `${base}/distributor`,
      setupUrl: link?.url ?? null,
      expiresAt: link?.expiresAt ?? null,
    },
  });
  await audit(trx, deps, input.by, distributor.project_id, 'distributor.contact_added', {
    distributorId: distributor.id,
    contactId: id,
    userId: user.id,
    encrypted: key !== null,
  });
  const added = await findContactRow(trx, distributor.id, id);
  if (!added) throw new DomainError('NOT_FOUND');
  return toContact(added);
}

/** Ends a contact's access to the distributor's notices (from their next request). */
export async function removeContact(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { by: ActedBy; projectId: string; distributorId: string; contactId: string },
): Promise<void> {
  const distributor = await findDistributorRow(trx, input.projectId, input.distributorId);
  if (!distributor) throw new DomainError('NOT_FOUND', 'No such distributor in this project.');
  const contact = await findContactRow(trx, distributor.id, input.contactId);
  if (!contact) throw new DomainError('NOT_FOUND', 'No such contact of this distributor.');
  await markContactRemoved(trx, contact.id, iso(deps.clock.now()));
  await audit(trx, deps, input.by, distributor.project_id, 'distributor.contact_removed', {
    distributorId: distributor.id,
    contactId: contact.id,
    userId: contact.user_id,
  });
}

/**
 * Records that the distributor accepts the programme's current terms: by one of its contacts in the
 * portal, or by a project admin who holds its acceptance in writing (then `note` says where).
 */
export async function acceptTerms(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { by: ActedBy; projectId: string; distributorId: string; note?: string | null },
): Promise<Distributor> {
  const distributor = await findDistributorRow(trx, input.projectId, input.distributorId);
  if (!distributor) throw new DomainError('NOT_FOUND', 'No such distributor in this project.');
  const note = input.note?.trim() || null;
  if (note && note.length > 2000) throw invalid('note', 'The note is longer than 2000 characters.');
  const program = await getProgram(trx, input.projectId);
  await insertAcceptanceRow(trx, {
    id: newId(),
    distributor_id: distributor.id,
    terms_version: program.termsVersion,
    accepted_at: iso(deps.clock.now()),
    user_id: input.by.actor.kind === 'user' ? input.by.actor.userId : null,
    label: actorLabel(input.by.actor),
    note,
  });
  await audit(trx, deps, input.by, input.projectId, 'distributor.terms_accepted', {
    distributorId: distributor.id,
    termsVersion: program.termsVersion,
  });
  return requireDistributor(trx, input.projectId, distributor.id);
}
