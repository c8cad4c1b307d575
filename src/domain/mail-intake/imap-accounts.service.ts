import net from 'node:net';
import type { Clock } from '../../clock.js';
import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import { newId } from '../ids.js';
import { seal, unseal } from '../instance/sealed.js';
import type { ImapAccount, ImapAccountInput } from './imap-accounts.js';
import {
  deleteImapAccountRow,
  findImapAccountRow,
  type ImapAccountRow,
  imapAccountRows,
  insertImapAccountRow,
  toImapAccount,
  updateImapAccountRow,
} from './imap-accounts.repository.js';
import { retireImapUids } from './inbound.repository.js';

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;

// Control characters would let a value end the IMAP command it is sent in.
const CONTROL = /[\u0000-\u001f\u007f]/;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The sealing context: a sealed password opens only as the password of the account it was entered for. */
const sealContext = (accountId: string) => `imap:${accountId}`;

const invalid = (field: string, message: string) => new DomainError('VALIDATION_FAILED', message, { field });

interface Checked {
  host: string;
  port: number;
  secure: boolean;
  username: string;
  /** Empty: keep the stored one (editing only). */
  password: string;
  mailbox: string;
}

/** The input checked and normalised, or VALIDATION_FAILED naming the first wrong field. */
export function validateImapAccountInput(input: ImapAccountInput, options: { passwordRequired: boolean }): Checked {
  const host = input.host.trim().toLowerCase();
  if (!(net.isIP(host) !== 0 || HOSTNAME.test(host))) {
    throw invalid('host', 'The server is a host name such as imap.example.org, or an IP address.');
  }
  const port = input.port ?? (input.secure ? 993 : 143);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid('port', 'The port is a whole number from 1 to 65535 (usually 993 with TLS, 143 without).');
  }
  const username = input.username.trim();
  if (username.length < 1 || username.length > 320 || CONTROL.test(username)) {
    throw invalid('username', 'The user name is 1 to 320 characters on one line.');
  }
  const password = input.password;
  if ((options.passwordRequired && password === '') || password.length > 1000 || CONTROL.test(password)) {
    throw invalid('password', 'The password is 1 to 1000 characters on one line.');
  }
  const mailbox = input.mailbox.trim() || 'INBOX';
  if (mailbox.length > 200 || CONTROL.test(mailbox)) {
    throw invalid('mailbox', 'The mailbox (folder) name is at most 200 characters on one line; empty means INBOX.');
  }
  return { host, port, secure: input.secure, username, password, mailbox };
}

export async function listImapAccounts(db: DbOrTrx, projectId: string): Promise<ImapAccount[]> {
  return (await imapAccountRows(db, projectId)).map(toImapAccount);
}

async function requireRow(db: DbOrTrx, projectId: string, accountId: string): Promise<ImapAccountRow> {
  const row = await findImapAccountRow(db, { id: accountId, projectId });
  if (!row) throw new DomainError('NOT_FOUND');
  return row;
}

/** Two accounts of one project on one mailbox would file every message twice. */
async function refuseSameMailbox(trx: Trx, projectId: string, checked: Checked, exceptId?: string): Promise<void> {
  const same = (await imapAccountRows(trx, projectId)).find(
    (r) =>
      r.id !== exceptId &&
      r.host === checked.host &&
      r.port === checked.port &&
      r.username === checked.username &&
      r.mailbox === checked.mailbox,
  );
  if (same) throw new DomainError('CONFLICT', 'This project already fetches this mailbox.', { field: 'username' });
}

function audit(trx: Trx, clock: Clock, by: ActedBy, account: ImapAccount, action: string, extra = {}) {
  return recordAudit(trx, clock, {
    ...by,
    projectId: account.projectId,
    action,
    subjectType: 'imap_account',
    subjectId: account.id,
    // Where the mailbox is; never the password, not even its length.
    detail: { host: account.host, port: account.port, username: account.username, mailbox: account.mailbox, ...extra },
  });
}

export async function addImapAccount(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'secret'>,
  options: { by: ActedBy; projectId: string; input: ImapAccountInput },
): Promise<ImapAccount> {
  const checked = validateImapAccountInput(options.input, { passwordRequired: true });
  await refuseSameMailbox(trx, options.projectId, checked);
  const id = newId();
  const row: ImapAccountRow = {
    id,
    project_id: options.projectId,
    host: checked.host,
    port: checked.port,
    secure: checked.secure ? 1 : 0,
    username: checked.username,
    password_sealed: seal(deps.secret, checked.password, sealContext(id)),
    mailbox: checked.mailbox,
    enabled: 1,
    uid_validity: null,
    last_uid: 0,
    lease_owner: null,
    lease_expires_at: null,
    last_polled_at: null,
    last_error: null,
    created_at: iso(deps.clock.now()),
  };
  await insertImapAccountRow(trx, row);
  const account = toImapAccount(row);
  await audit(trx, deps.clock, options.by, account, 'mail.imap_account_added');
  return account;
}

/**
 * Changes where and how the mailbox is reached; an empty password keeps the stored one. Another
 * server, port, user or folder is another mailbox: its cursor starts over (two mailboxes may well
 * share a UIDVALIDITY, so the poller could not tell), the UIDs taken from the old one are retired
 * (see retireImapUids) and a poll under way loses its lease, so it can store nothing more.
 */
export async function updateImapAccount(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'secret'>,
  options: { by: ActedBy; projectId: string; accountId: string; input: ImapAccountInput },
): Promise<ImapAccount> {
  const checked = validateImapAccountInput(options.input, { passwordRequired: false });
  const row = await requireRow(trx, options.projectId, options.accountId);
  // The stored password is only ever sent where it was entered for: otherwise whoever may edit the
  // account could point it at their own server (or drop TLS) and collect the password.
  const elsewhere =
    checked.host !== row.host ||
    checked.port !== row.port ||
    checked.username !== row.username ||
    (row.secure === 1 && !checked.secure);
  if (elsewhere && checked.password === '') {
    throw invalid('password', 'Enter the password again when changing the server, port, TLS or user name.');
  }
  await refuseSameMailbox(trx, options.projectId, checked, row.id);
  const moved =
    checked.host !== row.host ||
    checked.port !== row.port ||
    checked.username !== row.username ||
    checked.mailbox !== row.mailbox;
  const restart = { uid_validity: null, last_uid: 0, lease_owner: null, lease_expires_at: null };
  const patch = {
    host: checked.host,
    port: checked.port,
    secure: checked.secure ? 1 : 0,
    username: checked.username,
    mailbox: checked.mailbox,
    ...(checked.password === '' ? {} : { password_sealed: seal(deps.secret, checked.password, sealContext(row.id)) }),
    // The last outcome was about the old settings: the poller takes the account at its next round.
    last_polled_at: null,
    last_error: null,
    ...(moved ? restart : {}),
  };
  // The account row first: a poller's cursor write waits on it, then finds its lease gone.
  await updateImapAccountRow(trx, row.id, patch);
  if (moved) await retireImapUids(trx, { accountId: row.id, retiredAs: newId() });
  const account = toImapAccount({ ...row, ...patch });
  await audit(trx, deps.clock, options.by, account, 'mail.imap_account_updated', {
    secure: checked.secure,
    passwordChanged: checked.password !== '',
    cursorRestarted: moved,
  });
  return account;
}

/** Stops fetching the mailbox; messages already taken stay (they no longer name the account). */
export async function removeImapAccount(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; accountId: string },
): Promise<void> {
  const row = await requireRow(trx, options.projectId, options.accountId);
  await deleteImapAccountRow(trx, row.id);
  await audit(trx, clock, options.by, toImapAccount(row), 'mail.imap_account_removed');
}

export async function setImapAccountEnabled(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; accountId: string; enabled: boolean },
): Promise<ImapAccount> {
  const row = await requireRow(trx, options.projectId, options.accountId);
  const account = toImapAccount(row);
  if (account.enabled === options.enabled) return account;
  await updateImapAccountRow(trx, row.id, { enabled: options.enabled ? 1 : 0 });
  const changed = { ...account, enabled: options.enabled };
  await audit(
    trx,
    clock,
    options.by,
    changed,
    options.enabled ? 'mail.imap_account_enabled' : 'mail.imap_account_disabled',
  );
  return changed;
}

/** An account of the project, or NOT_FOUND (also for another project's account). */
export async function requireImapAccount(db: DbOrTrx, projectId: string, accountId: string): Promise<ImapAccount> {
  return toImapAccount(await requireRow(db, projectId, accountId));
}

/**
 * What the poller needs to sign in: the account and its unsealed password, kept in memory only;
 * null when the seal does not open (the server key changed): the admin must enter it again.
 */
export async function imapAccountForPolling(
  db: DbOrTrx,
  secret: Buffer,
  accountId: string,
): Promise<{ account: ImapAccount; password: string | null } | undefined> {
  const row = await findImapAccountRow(db, { id: accountId });
  if (!row) return undefined;
  let password: string | null = null;
  try {
    password = unseal(secret, row.password_sealed, sealContext(row.id));
  } catch {
    // Left null: the caller records why, without any detail of the sealed value.
  }
  return { account: toImapAccount(row), password };
}
