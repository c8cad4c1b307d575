import * as openpgp from 'openpgp';
import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { type AuditInput, recordAudit } from '../audit/audit.service.js';
import { seal, unseal } from '../instance/sealed.js';
import { getProjectById } from '../projects/projects.service.js';
import { generateKeyPair, readUploadedKey } from './key-check.js';
import type { ProjectPgpKey } from './pgp.js';
import {
  deleteProjectKeyRow,
  findProjectKeyRow,
  firstIntakeAddress,
  type ProjectKeyRow,
  saveProjectKeyRow,
} from './pgp.repository.js';

// A project's OpenPGP key. The private key is stored unlocked (the server must decrypt mail
// without a person typing a passphrase) but sealed under the server key, bound to its project;
// it is unsealed only to decrypt, and never shown, logged or audited: audits name the fingerprint.

type KeyDeps = Pick<Deps, 'clock' | 'secret'>;
type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;

const sealContext = (projectId: string) => `pgp:${projectId}`;
const EMAIL = /^[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+$/;

function toProjectKey(row: ProjectKeyRow): ProjectPgpKey {
  return {
    projectId: row.project_id,
    fingerprint: row.fingerprint,
    publicKey: row.public_key,
    createdAt: row.created_at,
  };
}

export async function getProjectKey(db: DbOrTrx, projectId: string): Promise<ProjectPgpKey | null> {
  const row = await findProjectKeyRow(db, projectId);
  return row ? toProjectKey(row) : null;
}

async function store(
  trx: Trx,
  deps: KeyDeps,
  options: { by: ActedBy; projectId: string; key: openpgp.PrivateKey; action: string },
): Promise<ProjectPgpKey> {
  const previous = await findProjectKeyRow(trx, options.projectId);
  const row: ProjectKeyRow = {
    project_id: options.projectId,
    fingerprint: options.key.getFingerprint(),
    public_key: options.key.toPublic().armor(),
    private_key_sealed: seal(deps.secret, options.key.armor(), sealContext(options.projectId)),
    created_at: iso(deps.clock.now()),
  };
  await saveProjectKeyRow(trx, row);
  await recordAudit(trx, deps.clock, {
    ...options.by,
    projectId: options.projectId,
    action: options.action,
    subjectType: 'project',
    subjectId: options.projectId,
    detail: { fingerprint: row.fingerprint, replaced: previous?.fingerprint ?? null },
  });
  return toProjectKey(row);
}

/** Stores an uploaded private key (unlocked with its passphrase once, here), replacing any previous key. */
export async function uploadProjectKey(
  trx: Trx,
  deps: KeyDeps,
  options: { by: ActedBy; projectId: string; armoredKey: string; passphrase: string },
): Promise<ProjectPgpKey> {
  const key = await readUploadedKey(options.armoredKey, options.passphrase, deps.clock.now());
  return store(trx, deps, { by: options.by, projectId: options.projectId, key, action: 'pgp.key_uploaded' });
}

/**
 * Makes a key pair for the project, user id "<name> security team <contact>": the contact is the
 * project's intake address (so mail clients find the key for it), else its security contact when
 * that is an address.
 */
export async function generateProjectKey(
  trx: Trx,
  deps: KeyDeps,
  options: { by: ActedBy; projectId: string },
): Promise<ProjectPgpKey> {
  const project = await getProjectById(trx, options.projectId);
  if (!project) throw new DomainError('PROJECT_NOT_FOUND');
  const contact = project.securityContact?.replace(/^mailto:/i, '') ?? '';
  const email = (await firstIntakeAddress(trx, project.id)) ?? (EMAIL.test(contact) ? contact : null);
  const key = await generateKeyPair({ name: `${project.name} security team`, email, date: deps.clock.now() });
  return store(trx, deps, { by: options.by, projectId: project.id, key, action: 'pgp.key_generated' });
}

/** Removes the key: encrypted mail that arrives afterwards waits in quarantine. NOT_FOUND when there is none. */
export async function removeProjectKey(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  options: { by: ActedBy; projectId: string },
): Promise<void> {
  const row = await findProjectKeyRow(trx, options.projectId);
  if (!row) throw new DomainError('NOT_FOUND', 'The project has no OpenPGP key.');
  await deleteProjectKeyRow(trx, options.projectId);
  await recordAudit(trx, deps.clock, {
    ...options.by,
    projectId: options.projectId,
    action: 'pgp.key_removed',
    subjectType: 'project',
    subjectId: options.projectId,
    detail: { fingerprint: row.fingerprint },
  });
}

/** The project's unlocked private key, to decrypt and sign with; null when the project has none. */
export async function loadProjectPrivateKey(
  db: DbOrTrx,
  deps: Pick<Deps, 'secret'>,
  projectId: string,
): Promise<openpgp.PrivateKey | null> {
  const row = await findProjectKeyRow(db, projectId);
  if (!row) return null;
  const armored = unseal(deps.secret, row.private_key_sealed, sealContext(projectId));
  return openpgp.readPrivateKey({ armoredKey: armored });
}
