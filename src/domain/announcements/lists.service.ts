import crypto from 'node:crypto';
import { addMs, DAY_MS, HOUR_MS, iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { queueEmail } from '../../mail/outbox.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import { hashToken, newId, newSecretToken, safeEqual } from '../ids.js';
import { addressKey, hit } from '../instance/rate-limit.service.js';
import type { Project } from '../projects/projects.js';
import { validateEmail } from '../users/users.service.js';
import {
  ANNOUNCEMENT_KINDS,
  type AnnouncementKind,
  type MailingList,
  type Subscription,
  type SubscriptionStatus,
} from './announcements.js';
import {
  deleteListRow,
  findSubscriptionByTokenHash,
  findSubscriptionRow,
  insertListRow,
  insertSubscriptionRow,
  type ListRow,
  listRows,
  type SubscriptionRow,
  subscriptionRowsOfList,
  updateSubscriptionRow,
} from './announcements.repository.js';

// A project's mailing lists (announce, security-announce ...) and their subscribers. Subscribing is
// double opt-in: the address gets a confirmation link and nothing else until its owner follows it.
// Every copy of an announcement carries a one-click unsubscribe link (RFC 8058) made from the
// subscription's id and an HMAC under the server key, so it needs no storage and cannot be guessed.
// The public answer to a subscription request never says whether the address was already subscribed.

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;
type ListDeps = Pick<Deps, 'clock' | 'config'>;

const NAME = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
const DESCRIPTION_MAX = 500;
const CONFIRM_TTL_MS = 7 * DAY_MS;
/** Confirmation mails per subscriber address and list per day (requests per client: config.listRequestsPerHour). */
const MAILS_PER_ADDRESS_PER_DAY = 3;

const invalid = (field: string, message: string) => new DomainError('VALIDATION_FAILED', message, { field });

function toList(row: ListRow & { subscribers?: number }): MailingList {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    description: row.description,
    kinds: JSON.parse(row.kinds) as AnnouncementKind[],
    createdAt: row.created_at,
    subscribers: row.subscribers ?? 0,
  };
}

function toSubscription(row: SubscriptionRow): Subscription {
  return {
    id: row.id,
    listId: row.list_id,
    email: row.email,
    status: row.status as SubscriptionStatus,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at,
    unsubscribedAt: row.unsubscribed_at,
  };
}

/** The project's lists with their confirmed subscriber counts, by name. Public (no addresses). */
export async function listMailingLists(db: DbOrTrx, projectId: string): Promise<MailingList[]> {
  return (await listRows(db, projectId)).map(toList);
}

export async function requireList(db: DbOrTrx, projectId: string, listId: string): Promise<MailingList> {
  const row = (await listRows(db, projectId)).find((l) => l.id === listId);
  if (!row) throw new DomainError('NOT_FOUND', 'No such mailing list in this project.');
  return toList(row);
}

function checkKinds(kinds: readonly string[]): AnnouncementKind[] {
  const chosen = ANNOUNCEMENT_KINDS.filter((k) => kinds.includes(k));
  if (chosen.length === 0 || chosen.length !== new Set(kinds).size) {
    throw invalid('kinds', `Choose what the list carries: ${ANNOUNCEMENT_KINDS.join(', ')}.`);
  }
  return chosen;
}

export async function addMailingList(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { by: ActedBy; projectId: string; name: string; description: string; kinds: readonly string[] },
): Promise<MailingList> {
  const name = input.name.trim().toLowerCase();
  if (!NAME.test(name)) {
    throw invalid(
      'name',
      'A list name is 1 to 64 lower-case letters, digits, dots, dashes or underscores (e.g. security-announce).',
    );
  }
  const description = input.description.replace(/\s+/g, ' ').trim();
  if (description.length > DESCRIPTION_MAX)
    throw invalid('description', `The description is at most ${DESCRIPTION_MAX} characters.`);
  const kinds = checkKinds(input.kinds);
  if ((await listRows(trx, input.projectId)).some((l) => l.name === name)) {
    throw new DomainError('CONFLICT', 'The project already has a list of this name.', { field: 'name' });
  }
  const row: ListRow = {
    id: newId(),
    project_id: input.projectId,
    name,
    description,
    kinds: JSON.stringify(kinds),
    created_at: iso(deps.clock.now()),
  };
  await insertListRow(trx, row);
  await recordAudit(trx, deps.clock, {
    ...input.by,
    projectId: input.projectId,
    action: 'list.added',
    subjectType: 'mailing_list',
    subjectId: row.id,
    detail: { name, kinds },
  });
  return toList(row);
}

/** Deletes a list with its subscriptions (announcements already sent stay public). */
export async function removeMailingList(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { by: ActedBy; projectId: string; listId: string },
): Promise<void> {
  const list = await requireList(trx, input.projectId, input.listId);
  await deleteListRow(trx, list.id);
  await recordAudit(trx, deps.clock, {
    ...input.by,
    projectId: input.projectId,
    action: 'list.removed',
    subjectType: 'mailing_list',
    subjectId: list.id,
    detail: { name: list.name },
  });
}

/** A list's subscriptions (every state), by address: for the project's admins. */
export async function listSubscriptions(db: DbOrTrx, listId: string, limit = 1000): Promise<Subscription[]> {
  return (await subscriptionRowsOfList(db, listId, limit)).map(toSubscription);
}

const base = (deps: Pick<Deps, 'config'>) => deps.config.publicUrl.href.replace(/\/+$/, '');

/**
 * A subscription request from the public form: for each chosen list, a pending subscription and a
 * confirmation mail (an unsubscribed address starts over; a pending one gets a fresh link; a
 * confirmed one hears nothing). Limited per client address and per subscriber address, counted in
 * the transaction, so a refused request leaves no trace. The answer is the same in every case.
 */
export async function requestSubscription(
  trx: Trx,
  deps: ListDeps,
  input: { project: Project; listIds: readonly string[]; email: string; ip: string | null },
): Promise<void> {
  const email = validateEmail(input.email);
  if (input.listIds.length === 0) throw invalid('lists', 'Choose at least one list.');
  const lists = await Promise.all([...new Set(input.listIds)].map((id) => requireList(trx, input.project.id, id)));
  const perClient = await hit(trx, deps.clock, {
    bucket: `lists:ip:${addressKey(input.ip ?? 'unknown')}`,
    limit: deps.config.listRequestsPerHour,
    windowMs: HOUR_MS,
  });
  if (!perClient.allowed)
    throw new DomainError('RATE_LIMITED', undefined, { retryAfterSeconds: perClient.retryAfterSeconds });
  const now = deps.clock.now();
  for (const list of lists) {
    const existing = await findSubscriptionRow(trx, { listId: list.id, email });
    if (existing?.status === 'confirmed') continue;
    // A stranger must not be able to flood someone's mailbox with confirmation requests.
    const perAddress = await hit(trx, deps.clock, {
      bucket: `lists:to:${hashToken(`${list.id}:${email}`)}`,
      limit: MAILS_PER_ADDRESS_PER_DAY,
      windowMs: DAY_MS,
    });
    if (!perAddress.allowed) continue;
    const token = newSecretToken();
    const expiresAt = iso(addMs(now, CONFIRM_TTL_MS));
    if (existing) {
      await updateSubscriptionRow(trx, existing.id, {
        status: 'pending',
        confirm_token_hash: hashToken(token),
        confirm_expires_at: expiresAt,
        confirmed_at: null,
      });
    } else {
      await insertSubscriptionRow(trx, {
        id: newId(),
        list_id: list.id,
        project_id: input.project.id,
        email,
        status: 'pending',
        confirm_token_hash: hashToken(token),
        confirm_expires_at: expiresAt,
        created_at: iso(now),
        confirmed_at: null,
        unsubscribed_at: null,
      });
    }
    await queueEmail(trx, deps, {
      to: email,
      projectId: input.project.id,
      reportId: null,
      email: {
        template: 'list-confirm',
        projectName: input.project.name,
        listName: list.name,
        confirmUrl: `${base(deps)}/p/${input.project.slug}/lists/confirm/${token}`,
        expiresAt,
      },
    });
  }
}

/** The pending subscription behind a confirmation link, or SETUP_TOKEN_INVALID (wrong, used or expired). */
export async function pendingByToken(
  db: DbOrTrx,
  deps: Pick<Deps, 'clock'>,
  input: { projectId: string; token: string },
): Promise<{ subscription: Subscription; list: MailingList }> {
  const row = await findSubscriptionByTokenHash(db, hashToken(input.token));
  if (
    !row ||
    row.project_id !== input.projectId ||
    row.status !== 'pending' ||
    !row.confirm_expires_at ||
    row.confirm_expires_at <= iso(deps.clock.now())
  ) {
    throw new DomainError('SETUP_TOKEN_INVALID', 'This confirmation link is wrong, used or expired: subscribe again.');
  }
  return { subscription: toSubscription(row), list: await requireList(db, input.projectId, row.list_id) };
}

/** Confirms the subscription of a confirmation link (once: the link stops working). */
export async function confirmSubscription(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { projectId: string; token: string; origin: AuditInput['origin'] },
): Promise<{ subscription: Subscription; list: MailingList }> {
  const { subscription, list } = await pendingByToken(trx, deps, input);
  const at = iso(deps.clock.now());
  await updateSubscriptionRow(trx, subscription.id, {
    status: 'confirmed',
    confirmed_at: at,
    confirm_token_hash: null,
    confirm_expires_at: null,
    unsubscribed_at: null,
  });
  await recordAudit(trx, deps.clock, {
    actor: { kind: 'anonymous' },
    origin: input.origin,
    projectId: input.projectId,
    action: 'list.subscription_confirmed',
    subjectType: 'mailing_list',
    subjectId: list.id,
    detail: { subscriptionId: subscription.id },
  });
  return { subscription: { ...subscription, status: 'confirmed', confirmedAt: at }, list };
}

const mac = (secret: Buffer, subscriptionId: string) =>
  crypto.createHmac('sha256', secret).update(`unsubscribe:${subscriptionId}`).digest('base64url');

/** The token of a subscription's unsubscribe link: its id and an HMAC of it under the server key. */
export function unsubscribeToken(secret: Buffer, subscriptionId: string): string {
  return `${subscriptionId}.${mac(secret, subscriptionId)}`;
}

export function unsubscribeUrl(
  deps: Pick<Deps, 'config' | 'secret'>,
  projectSlug: string,
  subscriptionId: string,
): string {
  return `${base(deps)}/p/${projectSlug}/lists/unsubscribe/${unsubscribeToken(deps.secret, subscriptionId)}`;
}

/** The subscription an unsubscribe link names, or SETUP_TOKEN_INVALID. */
export async function subscriptionOfUnsubscribeToken(
  db: DbOrTrx,
  secret: Buffer,
  input: { projectId: string; token: string },
): Promise<{ subscription: Subscription; list: MailingList }> {
  const [id = '', given = ''] = input.token.split('.');
  const row = id && given && safeEqual(given, mac(secret, id)) ? await findSubscriptionRow(db, { id }) : undefined;
  if (!row || row.project_id !== input.projectId) {
    throw new DomainError('SETUP_TOKEN_INVALID', 'This unsubscribe link is not valid.');
  }
  return { subscription: toSubscription(row), list: await requireList(db, input.projectId, row.list_id) };
}

/**
 * Ends a subscription (one click from the mail, or an admin's removal; `listId`, when given, must be
 * its list). Unsubscribing twice changes nothing.
 */
export async function unsubscribe(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { subscriptionId: string; projectId: string; listId?: string; by: ActedBy },
): Promise<boolean> {
  const row = await findSubscriptionRow(trx, { id: input.subscriptionId });
  if (!row || row.project_id !== input.projectId || (input.listId !== undefined && row.list_id !== input.listId)) {
    throw new DomainError('NOT_FOUND', 'No such subscription.');
  }
  if (row.status === 'unsubscribed') return false;
  await updateSubscriptionRow(trx, row.id, {
    status: 'unsubscribed',
    unsubscribed_at: iso(deps.clock.now()),
    confirm_token_hash: null,
    confirm_expires_at: null,
  });
  await recordAudit(trx, deps.clock, {
    ...input.by,
    projectId: input.projectId,
    action: 'list.unsubscribed',
    subjectType: 'mailing_list',
    subjectId: row.list_id,
    detail: { subscriptionId: row.id },
  });
  return true;
}
