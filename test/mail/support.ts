import { Writable } from 'node:stream';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { createSession } from '../../src/domain/users/sessions.service.js';
import type { User } from '../../src/domain/users/users.js';
import { SESSION_COOKIE } from '../../src/http/plugins/auth.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { createWorker, type Worker } from '../../src/jobs/worker.js';
import { createLogger } from '../../src/logger.js';
import type { EmailEnvelope } from '../../src/mail/emails.js';
import { queueEmail } from '../../src/mail/outbox.js';
import type { TestContext } from '../support/app.js';
import { Browser } from '../support/factories.js';

/** A browser signed in as `user`, by opening a session directly (the login page is tested elsewhere). */
export async function signedIn(ctx: TestContext, user: User): Promise<Browser> {
  const token = await ctx.deps.db
    .transaction()
    .execute((trx) => createSession(trx, ctx.clock, { userId: user.id, days: 1, origin: noOrigin }));
  const browser = new Browser(ctx.app);
  browser.jar[SESSION_COOKIE] = token;
  return browser;
}

/** A worker over the context's deps with the real handlers, run by hand with `runDue()`. */
export function testWorker(ctx: TestContext, workerId = 'test-worker'): Worker {
  return createWorker({
    db: ctx.deps.db,
    clock: ctx.clock,
    logger: createLogger({ level: 'silent', stream: new Writable({ write: (_c, _e, done) => done() }) }),
    handlers: jobHandlers(ctx.deps),
    pollMs: 1000,
    concurrency: 4,
    workerId,
  });
}

/** A reporter update with Markdown that must be escaped in HTML and kept as written in text. */
export function updateEnvelope(projectId: string, overrides: Partial<EmailEnvelope> = {}): EmailEnvelope {
  return {
    to: 'reporter@example.net',
    projectId,
    reportId: null,
    email: {
      template: 'reporter-update',
      projectName: 'Widget',
      trackingId: 'R-7KQ2-9XHD',
      statusUrl: 'http://localhost:8080/status/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg',
      status: 'acknowledged',
      closeReason: null,
      message: 'Thanks! We **reproduced** it. <script>alert(1)</script>',
    },
    ...overrides,
  };
}

export async function queue(ctx: TestContext, envelope: EmailEnvelope): Promise<string> {
  return ctx.deps.db.transaction().execute((trx) => queueEmail(trx, ctx.deps, envelope));
}
