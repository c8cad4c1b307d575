import { HOUR_MS } from '../clock.js';
import type { Deps } from '../deps.js';
import { processInboundMessage } from '../domain/mail-intake/process-inbound.service.js';
import { runCaseReminder } from '../domain/severity/case-reminders.js';
import { deliverWebhook } from '../domain/webhooks/deliver.js';
import { fanOutAnnouncement } from '../domain/announcements/announcements.service.js';
import { notifyDependents } from '../domain/release/dependents.js';
import { runEmbargoStep } from '../domain/release/steps.service.js';
import { syncCveRecord } from '../domain/advisories/cve-sync.service.js';
import { onVulnDbChanged } from '../domain/scan/vulndb-changed.js';
import { deliverEmail } from '../mail/delivery.js';
import { exponentialBackoff, type JobHandlers } from './worker.js';

/**
 * The handler of every job kind, with its retry policy beside it. Handlers are thin: the work and
 * its idempotence live in the area's own module (see mail/delivery.ts for the email guarantee).
 */
export function jobHandlers(deps: Deps): JobHandlers {
  return {
    'email.send': {
      handle: (payload, ctx) =>
        deliverEmail(
          { ...deps, db: ctx.db, clock: ctx.clock },
          { emailId: payload.emailId, attempt: ctx.attempt, maxAttempts: ctx.maxAttempts, logger: ctx.logger },
        ),
      // 30 s, 1 min, 2 min ... capped at 1 h: a mail server that is down is not hammered.
      backoffMs: exponentialBackoff(30_000, HOUR_MS),
    },
    'mail.process': {
      // What cannot be read or filed is quarantined at once; only failures of our own (the database)
      // are retried, and on the last attempt the message is quarantined so it stays in sight.
      handle: async (payload, ctx) => {
        await processInboundMessage(
          { ...deps, db: ctx.db, clock: ctx.clock, logger: ctx.logger },
          { inboundId: payload.inboundId, lastAttempt: ctx.attempt >= ctx.maxAttempts },
        );
      },
      backoffMs: exponentialBackoff(30_000, HOUR_MS),
    },
    'case.remind': {
      // Idempotent by compare-and-set on the case's pending reminder time (case-reminders.ts).
      handle: async (payload, ctx) => {
        await runCaseReminder({ ...deps, db: ctx.db, clock: ctx.clock }, payload);
      },
      backoffMs: exponentialBackoff(60_000, HOUR_MS),
    },
    'webhook.deliver': {
      // Idempotent: a delivered delivery is skipped; receivers deduplicate on X-Embargo-Delivery.
      handle: (payload, ctx) =>
        deliverWebhook(
          { ...deps, db: ctx.db, clock: ctx.clock },
          { deliveryId: payload.deliveryId, attempt: ctx.attempt, maxAttempts: ctx.maxAttempts },
        ),
      backoffMs: exponentialBackoff(30_000, HOUR_MS),
    },
    'embargo.step': {
      // Idempotent: the step is checked and marked done under the case's lock (steps.service.ts).
      handle: async (payload, ctx) => {
        const outcome = await runEmbargoStep({ ...deps, db: ctx.db, clock: ctx.clock }, payload);
        ctx.logger.info({ caseId: payload.caseId, step: payload.step, outcome }, 'embargo step');
      },
      // Soon and often: a notice, and the go most of all, must not wait an hour for a database blip.
      backoffMs: exponentialBackoff(5_000, 5 * 60_000),
    },
    'announcement.fanout': {
      // Idempotent: each subscription gets its copy once (announcement_deliveries).
      handle: async (payload, ctx) => {
        await fanOutAnnouncement({ ...deps, db: ctx.db, clock: ctx.clock }, { announcementId: payload.announcementId });
      },
      backoffMs: exponentialBackoff(10_000, 10 * 60_000),
    },
    'case.dependents': {
      handle: (payload, ctx) => notifyDependents({ ...deps, db: ctx.db, clock: ctx.clock }, payload),
      backoffMs: exponentialBackoff(60_000, HOUR_MS),
    },
    'vulndb.changed': {
      // Idempotent: findings are upserted by key, alerts are unique per dependent and package version.
      handle: (payload, ctx) => onVulnDbChanged({ ...deps, db: ctx.db, clock: ctx.clock }, payload),
      backoffMs: exponentialBackoff(30_000, HOUR_MS),
    },
    'cve.sync': {
      // Idempotent (cve-sync.service.ts); CVE Services being down is retried for hours, not hammered.
      handle: async (payload, ctx) => {
        await syncCveRecord({ ...deps, db: ctx.db, clock: ctx.clock }, payload);
      },
      backoffMs: exponentialBackoff(60_000, HOUR_MS),
    },
  };
}
