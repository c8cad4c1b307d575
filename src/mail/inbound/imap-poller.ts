import os from 'node:os';
import { ImapFlow } from 'imapflow';
import { addMs, iso } from '../../clock.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { newId } from '../../domain/ids.js';
import type { ImapAccount } from '../../domain/mail-intake/imap-accounts.js';
import {
  advanceImapCursor,
  dueImapAccountIds,
  findImapAccountRow,
  releaseImapLease,
  restartImapCursor,
  takeImapLease,
  takenUnderOtherUidValidity,
} from '../../domain/mail-intake/imap-accounts.repository.js';
import { imapAccountForPolling } from '../../domain/mail-intake/imap-accounts.service.js';
import { storeOversizedImapMessage } from '../../domain/mail-intake/imap-oversized.js';
import { rawMessageId } from '../../domain/mail-intake/raw-headers.js';
import { storeInboundMessage } from '../../domain/mail-intake/store-inbound.js';
import { describeImapError, LeaseLost } from './imap-errors.js';

// Fetches a project's mailbox over IMAP, each message exactly once, across processes and crashes:
// - a lease on the account row (conditional UPDATE, like the job queue's claim) lets one process
//   poll an account at a time, and expires if that process dies;
// - the cursor (UIDVALIDITY, last UID) advances in the same transaction that stores the message, and
//   only while this process holds the lease; so a crash either keeps both or neither, and a message
//   stored twice is impossible (the unique (account, UIDVALIDITY, UID) key is the backstop).
// The mailbox is opened read-only (EXAMINE): nothing is deleted, moved or flagged, not even \Seen,
// so the team's own mail client still shows the mailbox as it was and a poller cannot damage it.

/** Messages taken per poll: a large backlog is taken in rounds, each renewing the lease. */
export const IMAP_BATCH = 50;
/** Long enough for a batch of large messages; a dead poller's account is taken over after it. */
export const IMAP_LEASE_MS = 10 * 60_000;

export type PollOutcome =
  | { status: 'polled'; stored: number; quarantined: number; skipped: number; more: boolean }
  /** Another process holds the lease (or the account is not due yet). */
  | { status: 'busy' }
  | { status: 'disabled' }
  | { status: 'missing' }
  | { status: 'failed'; error: string };

export interface PollOptions {
  workerId: string;
  batchSize?: number;
  /** Take the account only if it was not polled since then (the scheduler's rhythm). */
  polledBefore?: Date;
}

type Counts = { stored: number; quarantined: number; skipped: number };

/** Polls one account once: takes its lease, fetches up to a batch of new messages, releases it. */
export async function pollImapAccount(deps: Deps, accountId: string, options: PollOptions): Promise<PollOutcome> {
  const owner = options.workerId;
  const now = deps.clock.now();
  const leased = await takeImapLease(deps.db, {
    id: accountId,
    owner,
    now: iso(now),
    until: iso(addMs(now, IMAP_LEASE_MS)),
    ...(options.polledBefore ? { polledBefore: iso(options.polledBefore) } : {}),
  });
  if (!leased) {
    const row = await findImapAccountRow(deps.db, { id: accountId });
    return { status: !row ? 'missing' : row.enabled === 1 ? 'busy' : 'disabled' };
  }
  const log = deps.logger.child({ imapAccountId: accountId });
  let password = '';
  const counts: Counts = { stored: 0, quarantined: 0, skipped: 0 };
  try {
    const found = await imapAccountForPolling(deps.db, deps.secret, accountId);
    if (!found) return { status: 'missing' };
    if (found.password === null) {
      throw new Error(
        'The stored password cannot be opened with this server key (was EMBARGO_SECRET changed?); enter it again.',
      );
    }
    password = found.password;
    const more = await fetchNew(deps, found.account, password, {
      owner,
      batchSize: options.batchSize ?? IMAP_BATCH,
      counts,
    });
    await releaseImapLease(deps.db, { id: accountId, owner, polledAt: iso(deps.clock.now()), error: null });
    if (counts.stored > 0) deps.wakeWorker();
    if (counts.stored + counts.quarantined > 0) log.info({ ...counts, more }, 'took messages from the IMAP mailbox');
    return { status: 'polled', ...counts, more };
  } catch (err) {
    if (counts.stored > 0) deps.wakeWorker();
    // Someone else holds the account now: what this process stored is committed, the rest is theirs.
    if (err instanceof LeaseLost) return { status: 'busy' };
    const error = describeImapError(err, password);
    log.warn({ error }, 'IMAP poll failed; trying again at the next poll');
    await releaseImapLease(deps.db, { id: accountId, owner, polledAt: iso(deps.clock.now()), error });
    return { status: 'failed', error };
  }
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1)$/;

/**
 * TLS from the first byte, or else STARTTLS, required: a password must not cross a network in
 * clear, and an attacker in the path could otherwise strip the server's STARTTLS offer. Only a
 * server on this machine may be spoken to in plain text (a local relay, the tests' Dovecot).
 */
export function imapTlsOptions(account: Pick<ImapAccount, 'host' | 'secure'>): {
  secure: boolean;
  doSTARTTLS?: boolean;
} {
  if (account.secure) return { secure: true };
  return LOOPBACK.test(account.host) ? { secure: false } : { secure: false, doSTARTTLS: true };
}

/** Signs in, opens the mailbox read-only and takes messages above the cursor; returns whether more wait. */
async function fetchNew(
  deps: Deps,
  account: ImapAccount,
  password: string,
  options: { owner: string; batchSize: number; counts: Counts },
): Promise<boolean> {
  const client = new ImapFlow({
    host: account.host,
    port: account.port,
    ...imapTlsOptions(account),
    auth: { user: account.username, pass: password },
    // Its logs would carry mailbox contents; errors reach us through the rejected calls.
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: 30_000,
    greetingTimeout: 15_000,
    socketTimeout: 120_000,
    // A hostile server must not make us buffer more than one message may weigh.
    maxLiteralSize: deps.config.mailIn.maxMessageBytes + 1024 * 1024,
  });
  client.on('error', () => {}); // the pending command rejects with the same error
  try {
    await client.connect();
    const box = await client.mailboxOpen(account.mailbox, { readOnly: true });
    const uidValidity = String(box.uidValidity);
    let lastUid = account.lastUid;
    if (account.uidValidity !== uidValidity) {
      // A new UID space (the mailbox was recreated, or it is another one): start over. Messages of
      // the old one stay stored under their old UIDVALIDITY, so nothing is taken twice.
      if (!(await restartImapCursor(deps.db, { id: account.id, owner: options.owner, uidValidity }))) {
        throw new LeaseLost();
      }
      if (account.uidValidity !== null) {
        deps.logger.warn(
          { imapAccountId: account.id, from: account.uidValidity, to: uidValidity },
          'UIDVALIDITY changed',
        );
      }
      lastUid = 0;
    }
    if (box.exists === 0 || (box.uidNext > 0 && box.uidNext <= lastUid + 1)) return false;
    // `n:*` also matches the highest UID when it is below n, hence the filter.
    const listed = await client.fetchAll(`${lastUid + 1}:*`, { uid: true, size: true }, { uid: true });
    const pending = listed.filter((m) => m.uid > lastUid).sort((a, b) => a.uid - b.uid);
    for (const message of pending.slice(0, options.batchSize)) {
      await takeOne(deps, client, account, { ...options, uidValidity, uid: message.uid, size: message.size ?? 0 });
    }
    await client.logout().catch(() => {});
    return pending.length > options.batchSize;
  } finally {
    client.close();
  }
}

/** Stores one message (or its quarantine record) and moves the cursor past it, in one transaction. */
async function takeOne(
  deps: Deps,
  client: ImapFlow,
  account: ImapAccount,
  m: { owner: string; counts: Counts; uidValidity: string; uid: number; size: number },
): Promise<void> {
  const limit = deps.config.mailIn.maxMessageBytes;
  const imap = { accountId: account.id, uidValidity: m.uidValidity, uid: m.uid };
  const envelopeTo = [account.username];
  const fetched =
    m.size > limit
      ? await client.fetchOne(String(m.uid), { uid: true, envelope: true }, { uid: true })
      : await client.fetchOne(String(m.uid), { uid: true, source: true }, { uid: true });
  const raw = fetched ? fetched.source : undefined;
  const oversized = m.size > limit || (raw !== undefined && raw.length > limit);
  if (fetched && !oversized && !raw) throw new Error(`The server sent no content for message UID ${m.uid}.`);
  // Counted once committed: a rolled-back message was not taken.
  const taken = await deps.db.transaction().execute(async (trx): Promise<keyof Counts> => {
    let kind: keyof Counts = 'stored';
    if (!fetched) {
      kind = 'skipped'; // expunged since it was listed: nothing left to take
    } else if (oversized || !raw) {
      const messageId = /<[^<>\s]{1,900}>/.exec(fetched.envelope?.messageId ?? '')?.[0] ?? null;
      const size = Math.max(raw?.length ?? 0, m.size);
      await storeOversizedImapMessage(trx, deps, {
        projectId: account.projectId,
        envelopeTo,
        imap,
        size,
        limit,
        messageId,
      });
      kind = 'quarantined';
    } else if (await seenBefore(trx, imap, rawMessageId(raw))) {
      kind = 'skipped';
    } else {
      const input = {
        source: 'imap' as const,
        projectId: account.projectId,
        raw,
        envelopeFrom: null,
        envelopeTo,
        imap,
      };
      if ((await storeInboundMessage(trx, deps, input)).duplicate) kind = 'skipped';
    }
    const leaseUntil = iso(addMs(deps.clock.now(), IMAP_LEASE_MS));
    const cursor = { id: account.id, owner: m.owner, uidValidity: m.uidValidity, uid: m.uid, leaseUntil };
    if (!(await advanceImapCursor(trx, cursor))) throw new LeaseLost(); // rolls back the message stored above
    return kind;
  });
  m.counts[taken]++;
}

/** A message renumbered by its server (new UIDVALIDITY) that was taken under its old number. */
async function seenBefore(
  trx: Trx,
  imap: { accountId: string; uidValidity: string },
  messageId: string | null,
): Promise<boolean> {
  if (messageId === null) return false; // nothing to recognise it by: taken again rather than lost
  return takenUnderOtherUidValidity(trx, { accountId: imap.accountId, uidValidity: imap.uidValidity, messageId });
}

export interface ImapPolling {
  readonly workerId: string;
  /** Stops polling, after the round under way (if any) ends. */
  readonly stop: () => Promise<void>;
}

/**
 * Polls every enabled account each `config.mailIn.imapPollSeconds` (0 turns automatic polling
 * off), for the 'mail-in' role. Any number of processes may run it: the lease keeps them apart.
 */
export function startImapPolling(deps: Deps, options: { workerId?: string; tickMs?: number } = {}): ImapPolling {
  const workerId = options.workerId ?? `${os.hostname()}:${process.pid}:imap:${newId().slice(0, 8)}`;
  const intervalMs = deps.config.mailIn.imapPollSeconds * 1000;
  // Looking for due accounts is one cheap query; checking often keeps each account near its rhythm.
  const tickMs = options.tickMs ?? Math.min(intervalMs, 5000);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = intervalMs === 0;

  async function round(): Promise<void> {
    const now = deps.clock.now();
    const polledBefore = addMs(now, -intervalMs);
    const ids = await dueImapAccountIds(deps.db, { now: iso(now), polledBefore: iso(polledBefore), limit: 100 });
    for (const id of ids) {
      if (stopped) return;
      let outcome = await pollImapAccount(deps, id, { workerId, polledBefore });
      // A backlog is taken batch after batch, a bounded number of times per round.
      for (let n = 0; n < 20 && !stopped && outcome.status === 'polled' && outcome.more; n++) {
        outcome = await pollImapAccount(deps, id, { workerId });
      }
    }
  }

  function tick(): void {
    if (stopped) return;
    running = round()
      .catch((err: unknown) =>
        deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'IMAP polling round failed'),
      )
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, tickMs);
      });
  }

  if (!stopped) timer = setTimeout(tick, 0);
  return {
    workerId,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
