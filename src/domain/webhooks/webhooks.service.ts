import crypto from 'node:crypto';
import dns from 'node:dns/promises';
import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import { newId } from '../ids.js';
import { seal } from '../instance/sealed.js';
import { enqueue } from '../outbox/outbox.js';
import { findProjectRow } from '../projects/projects.repository.js';
import { ipLiteral, isPublicAddress, secretContext } from './deliver.js';
import {
  type DeliveryRow,
  deleteWebhookRow,
  findWebhookRow,
  insertDeliveryRow,
  insertWebhookRow,
  recentDeliveryRows,
  type WebhookRow,
  webhookRows,
} from './webhooks.repository.js';

// A project's signed webhooks: where its case events are posted (deliver.ts posts them). A webhook
// target is outside Embargo, so a payload carries numbers and states only, never a title or any
// other text of a case.

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;

export interface Webhook {
  id: string;
  projectId: string;
  url: string;
  enabled: boolean;
  createdAt: string;
}

export interface WebhookDelivery {
  id: string;
  webhookId: string;
  event: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** What each event carries besides { id, event, at, project: { slug } }: numbers and states only. */
export type WebhookEvent =
  | {
      event: 'case.state_changed';
      data: { case: { number: number; state: string; previousState: string; embargoBroken: boolean } };
    }
  | { event: 'ping'; data: { webhook: { id: string } } };

const MAX_URL_LENGTH = 2000;
const RECENT_DELIVERIES = 50;

const toWebhook = (row: WebhookRow): Webhook => ({
  id: row.id,
  projectId: row.project_id,
  url: row.url,
  enabled: row.enabled === 1,
  createdAt: row.created_at,
});

const toDelivery = (row: DeliveryRow): WebhookDelivery => ({
  id: row.id,
  webhookId: row.webhook_id,
  event: row.event,
  status: row.status as WebhookDelivery['status'],
  attempts: row.attempts,
  lastStatusCode: row.last_status_code,
  lastError: row.last_error,
  createdAt: row.created_at,
  deliveredAt: row.delivered_at,
});

const invalidUrl = (message: string) => new DomainError('VALIDATION_FAILED', message, { field: 'url' });

/**
 * The URL checked and normalised, or VALIDATION_FAILED: http(s), no credentials, at most 2000
 * characters, and (unless private targets are allowed) a host that is, or resolves only to, public
 * addresses. deliver.ts checks the address again at each connection.
 */
export async function validateWebhookUrl(raw: string, options: { allowPrivate: boolean }): Promise<string> {
  const text = raw.trim();
  if (text === '' || text.length > MAX_URL_LENGTH) {
    throw invalidUrl(`The URL is 1 to ${MAX_URL_LENGTH} characters.`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidUrl('This is not a URL: write it in full, such as https://hooks.example.org/embargo.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalidUrl('The URL starts with https:// (or http://).');
  if (url.username !== '' || url.password !== '') {
    throw invalidUrl('The URL must not hold a user name or password: receivers check the signature instead.');
  }
  if (url.href.length > MAX_URL_LENGTH) throw invalidUrl(`The URL is 1 to ${MAX_URL_LENGTH} characters.`);
  if (!options.allowPrivate) {
    const literal = ipLiteral(url);
    let addresses: string[];
    if (literal !== undefined) {
      addresses = [literal];
    } else {
      try {
        addresses = (await dns.lookup(url.hostname, { all: true })).map((a) => a.address);
      } catch {
        throw invalidUrl(`The host ${url.hostname} cannot be resolved.`);
      }
    }
    if (addresses.length === 0 || !addresses.every(isPublicAddress)) {
      throw invalidUrl('The URL must reach a public address, not a loopback, private or link-local one.');
    }
  }
  return url.href;
}

export async function listWebhooks(db: DbOrTrx, projectId: string): Promise<Webhook[]> {
  return (await webhookRows(db, projectId)).map(toWebhook);
}

/** The project's latest deliveries, newest first. */
export async function recentDeliveries(db: DbOrTrx, projectId: string): Promise<WebhookDelivery[]> {
  return (await recentDeliveryRows(db, projectId, RECENT_DELIVERIES)).map(toDelivery);
}

/** Where the webhook posts, for the audit log: the origin only (a path may hold a receiver's token). */
const auditDetail = (url: string) => ({ origin: new URL(url).origin });

/**
 * Adds a webhook with a new 32-byte signing secret, stored sealed. Returns the secret in clear
 * this once: it is never shown again.
 */
export async function addWebhook(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'secret' | 'config'>,
  options: { by: ActedBy; projectId: string; url: string },
): Promise<{ webhook: Webhook; secret: string }> {
  const url = await validateWebhookUrl(options.url, { allowPrivate: deps.config.webhooks.allowPrivate });
  const id = newId();
  const secret = crypto.randomBytes(32).toString('hex');
  const row: WebhookRow = {
    id,
    project_id: options.projectId,
    url,
    secret_sealed: seal(deps.secret, secret, secretContext(id)),
    enabled: 1,
    created_at: iso(deps.clock.now()),
    created_by: options.by.actor.kind === 'user' ? options.by.actor.userId : null,
  };
  await insertWebhookRow(trx, row);
  await recordAudit(trx, deps.clock, {
    ...options.by,
    projectId: options.projectId,
    action: 'project.webhook_added',
    subjectType: 'webhook',
    subjectId: id,
    detail: auditDetail(url),
  });
  return { webhook: toWebhook(row), secret };
}

async function requireWebhookRow(db: DbOrTrx, projectId: string, webhookId: string): Promise<WebhookRow> {
  const row = await findWebhookRow(db, { id: webhookId, projectId });
  if (!row) throw new DomainError('NOT_FOUND', 'No such webhook.');
  return row;
}

/** Removes the webhook and its deliveries: jobs still queued for them find nothing to send. */
export async function removeWebhook(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  options: { by: ActedBy; projectId: string; webhookId: string },
): Promise<void> {
  const row = await requireWebhookRow(trx, options.projectId, options.webhookId);
  await deleteWebhookRow(trx, row.id);
  await recordAudit(trx, deps.clock, {
    ...options.by,
    projectId: options.projectId,
    action: 'project.webhook_removed',
    subjectType: 'webhook',
    subjectId: row.id,
    detail: auditDetail(row.url),
  });
}

/** Writes one delivery of `event` to one webhook and enqueues its job; returns the delivery id. */
async function queueDelivery(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  options: { webhook: WebhookRow; projectSlug: string } & WebhookEvent,
): Promise<string> {
  const id = newId();
  const at = iso(deps.clock.now());
  const payload = { id, event: options.event, at, project: { slug: options.projectSlug }, ...options.data };
  await insertDeliveryRow(trx, {
    id,
    webhook_id: options.webhook.id,
    project_id: options.webhook.project_id,
    event: options.event,
    payload: JSON.stringify(payload),
    status: 'pending',
    attempts: 0,
    last_status_code: null,
    last_error: null,
    created_at: at,
    delivered_at: null,
  });
  await enqueue(trx, deps.clock, { kind: 'webhook.deliver', deliveryId: id });
  return id;
}

async function projectSlug(trx: Trx, projectId: string): Promise<string> {
  const project = await findProjectRow(trx, { id: projectId });
  if (!project) throw new DomainError('NOT_FOUND', 'No such project.');
  return project.slug;
}

/**
 * In the caller's transaction: one delivery per enabled webhook of the project, each with its
 * 'webhook.deliver' job, so the event is posted exactly when the change commits.
 */
export async function queueCaseEvent(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  options: { projectId: string } & WebhookEvent,
): Promise<string[]> {
  const hooks = await webhookRows(trx, options.projectId, { enabledOnly: true });
  if (hooks.length === 0) return [];
  const slug = await projectSlug(trx, options.projectId);
  const ids: string[] = [];
  for (const webhook of hooks) {
    ids.push(await queueDelivery(trx, deps, { webhook, projectSlug: slug, ...pick(options) }));
  }
  return ids;
}

const pick = (e: WebhookEvent): WebhookEvent => ({ event: e.event, data: e.data }) as WebhookEvent;

/** Queues a 'ping' to one webhook, so an admin can check the receiver and its signature check. */
export async function pingWebhook(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  options: { by: ActedBy; projectId: string; webhookId: string },
): Promise<string> {
  const webhook = await requireWebhookRow(trx, options.projectId, options.webhookId);
  const slug = await projectSlug(trx, options.projectId);
  const id = await queueDelivery(trx, deps, {
    webhook,
    projectSlug: slug,
    event: 'ping',
    data: { webhook: { id: webhook.id } },
  });
  await recordAudit(trx, deps.clock, {
    ...options.by,
    projectId: options.projectId,
    action: 'project.webhook_pinged',
    subjectType: 'webhook',
    subjectId: webhook.id,
    detail: { deliveryId: id },
  });
  return id;
}
