import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { activateEmbargo, getEmbargo, proposeEmbargo } from '../../src/domain/cases/embargo.service.js';
import { requireCase } from '../../src/domain/cases/cases.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { addWebhook } from '../../src/domain/webhooks/webhooks.service.js';
import type { User } from '../../src/domain/users/users.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { makeDistributor, makeList, readyCase, SYSTEM } from '../support/disclosure.js';
import { makeProject, makeUser } from '../support/factories.js';
import { testWorker } from '../mail/support.js';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp.js';
import { startReceiver } from '../webhooks/receiver.js';

// The crash test of the go: the worker is the real binary (dist/main.js serve --roles worker), in a
// process of its own, and it is killed with SIGKILL at several points of the go (failpoints.ts):
// inside the go's transaction, after it committed but before the job was marked done, in the middle
// of an announcement's fan-out, before an email is sent and before a webhook is posted. After each
// kill it is started again; in the end every notice, announcement copy and webhook must have been
// delivered exactly once, and nothing lost.
//
// The worker runs one job at a time here (EMBARGO_WORKER_CONCURRENCY=1). With several in flight, a
// kill can land between an SMTP server's "250 accepted" and the database recording it: that email is
// then sent again with the same Message-ID (mail/delivery.ts), which receivers drop. That window is
// at the wire, outside any transaction; every point tested here is one of ours.

const MAIN = 'dist/main.js';
const KILL_POINTS = [
  'go.before-commit',
  'job.after-commit:embargo.step:release',
  'fanout.after-batch',
  'email.before-send',
  'webhook.before-post',
];
const FORTHCOMING_SUBSCRIBERS = 210;
const RELEASE_ONLY = 20;
const BOTH = 10;

describe.each(engines())('crashing the worker during the go on %s', (engine) => {
  let ctx: TestContext;
  let smtp: SmtpCapture;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let project: Project;
  let lead: User;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    smtp = await startSmtpCapture();
    receiver = await startReceiver();
    ctx = await createTestContext(engine, {
      env: { EMBARGO_SMTP_URL: smtp.url, EMBARGO_WEBHOOK_ALLOW_PRIVATE: '1' },
    });
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Widget' });
    lead = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin', email: `lead-${engine}@widget.example` });
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await ctx.close();
    await smtp.close();
    await receiver.close();
  });

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);

  /** Starts the worker binary; resolves with how it ended (a signal for a crash at a failpoint). */
  function startWorker(failpoint: string | null): {
    ended: Promise<{ code: number | null; signal: string | null }>;
    output: () => string;
  } {
    let output = '';
    child = spawn(process.execPath, [MAIN, 'serve', '--roles', 'worker'], {
      env: {
        ...process.env,
        DATABASE_URL: ctx.t.url,
        EMBARGO_PUBLIC_URL: 'http://localhost:8080',
        EMBARGO_SECRET: 'test-secret',
        EMBARGO_SMTP_URL: smtp.url,
        EMBARGO_WEBHOOK_ALLOW_PRIVATE: '1',
        EMBARGO_SEED_DEMO: 'false',
        EMBARGO_WORKER_POLL_MS: '100',
        EMBARGO_WORKER_CONCURRENCY: '1',
        // A dead worker's claim is free again after a second, so the test need not wait minutes.
        EMBARGO_WORKER_LOCK_SECONDS: '1',
        EMBARGO_FAILPOINTS: failpoint ?? '',
        LOG_LEVEL: 'warn',
      },
    });
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child?.once('exit', (code, signal) => resolve({ code, signal })),
    );
    return { ended, output: () => output };
  }

  /** Jobs neither completed nor parked as failed. */
  const openJobs = async () =>
    ctx.deps.db
      .selectFrom('jobs')
      .select(['kind', 'last_error'])
      .where('completed_at', 'is', null)
      .where('failed_at', 'is', null)
      .execute();

  it(
    'delivers every notice, announcement and webhook exactly once across kills at five points',
    { timeout: 240_000 },
    async () => {
      // --- Setup, in this process with the test clock: distributors, lists, a webhook, a scheduled case.
      const contacts = ['a@debian.example', 'b@debian.example', 'security@fedora.example'];
      await makeDistributor(ctx, project, {
        name: 'Debian',
        contacts: [{ email: contacts[0] ?? '' }, { email: contacts[1] ?? '' }],
      });
      await makeDistributor(ctx, project, { name: 'Fedora', contacts: [{ email: contacts[2] ?? '' }] });
      const forthcoming = Array.from({ length: FORTHCOMING_SUBSCRIBERS }, (_, i) => `sub${i}@users.example`);
      const releaseOnly = [
        ...Array.from({ length: RELEASE_ONLY }, (_, i) => `rel${i}@users.example`),
        ...forthcoming.slice(0, BOTH),
      ];
      await makeList(ctx, project, { name: 'security-announce', subscribers: forthcoming });
      await makeList(ctx, project, { name: 'announce', kinds: ['release'], subscribers: releaseOnly });
      await tx((trx) =>
        addWebhook(trx, ctx.deps, {
          by: { actor: SYSTEM, origin: noOrigin },
          projectId: project.id,
          url: receiver.url('/hook'),
        }),
      );
      const { theCase } = await readyCase(ctx, project, lead);
      const by = { actor: actorOf(lead, project, 'admin'), origin: noOrigin, theCase };
      await tx((trx) => proposeEmbargo(trx, ctx.deps, by));
      await tx((trx) => activateEmbargo(trx, ctx.deps, by));
      const embargo = await getEmbargo(ctx.deps.db, theCase.id);
      if (!embargo) throw new Error('no embargo');
      // Everything due before the distributor notice is delivered here (acknowledgements, welcomes, webhooks).
      const worker = testWorker(ctx);
      while ((await worker.runDue()) > 0) {
        // drain
      }
      const before = new Set((await ctx.deps.db.selectFrom('outbound_emails').select('id').execute()).map((r) => r.id));
      const mailBefore = smtp.messages.length;
      const hooksBefore = receiver.received.length;

      // --- The worker binary, on the real clock (the timeline is long due): killed at each point in turn.
      for (const point of KILL_POINTS) {
        const run = startWorker(point);
        const timer = setTimeout(() => child?.kill('SIGKILL'), 60_000);
        const end = await run.ended;
        clearTimeout(timer);
        expect(end.signal, `the worker should die at ${point}:\n${run.output()}`).toBe('SIGKILL');
        expect((await openJobs()).length, `jobs left after the kill at ${point}`).toBeGreaterThan(0);
      }
      const last = startWorker(null);
      const deadline = Date.now() + 120_000;
      while ((await openJobs()).length > 0) {
        if (Date.now() > deadline)
          throw new Error(`jobs never finished: ${JSON.stringify(await openJobs())}\n${last.output()}`);
        if (child?.exitCode !== null) throw new Error(`the worker exited: ${last.output()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      child?.kill('SIGTERM');
      await last.ended;

      // --- The outcome: published once, nothing parked as failed.
      const published = await requireCase(ctx.deps.db, project.id, theCase.number);
      expect(published.state).toBe('published');
      const failed = await ctx.deps.db
        .selectFrom('jobs')
        .select(['kind', 'last_error'])
        .where('failed_at', 'is not', null)
        .execute();
      expect(failed).toEqual([]);
      expect(
        (
          await ctx.deps.db
            .selectFrom('announcements')
            .select('kind')
            .where('case_id', '=', theCase.id)
            .orderBy('kind')
            .execute()
        ).map((a) => a.kind),
      ).toEqual(['fix_forthcoming', 'release']);

      // Every email the crashing phase queued reached the SMTP server exactly once, and nothing else did.
      const rows = (await ctx.deps.db.selectFrom('outbound_emails').selectAll().execute()).filter(
        (r) => !before.has(r.id),
      );
      const received = smtp.messages.slice(mailBefore);
      const ids = received.map((m) => m.messageId);
      expect(new Set(ids).size, 'no email was delivered twice').toBe(ids.length);
      expect(ids.sort()).toEqual(rows.map((r) => r.message_id).sort());
      expect(rows.every((r) => r.status === 'sent')).toBe(true);

      // ... and they are exactly the notices and copies the go was to send.
      const count = (template: string, filter: (to: string) => boolean = () => true) =>
        rows.filter((r) => r.template === template && filter(r.to_address)).length;
      const subscribersOfRelease = new Set([...forthcoming, ...releaseOnly]);
      expect(count('distributor-notice')).toBe(contacts.length);
      expect(count('distributor-update')).toBe(2 * contacts.length); // the 24-hour notice and "released"
      // security-announce carries both announcements; the addresses also on announce get the release once.
      expect(count('announcement', (to) => forthcoming.includes(to))).toBe(2 * forthcoming.length);
      expect(count('announcement', (to) => releaseOnly.includes(to) && !forthcoming.includes(to))).toBe(RELEASE_ONLY);
      expect(count('announcement')).toBe(forthcoming.length + subscribersOfRelease.size);
      for (const to of contacts) {
        expect(
          rows
            .filter((r) => r.to_address === to)
            .map((r) => r.template)
            .sort(),
        ).toEqual(['distributor-notice', 'distributor-update', 'distributor-update']);
      }
      expect(count('case-progress', (to) => to === 'ada@example.net')).toBe(1);
      expect(count('case-timeline')).toBe(5);

      // Every webhook delivery of the crashing phase was received exactly once.
      const hooks = receiver.received.slice(hooksBefore);
      const deliveries = hooks.map((h) => String(h.headers['x-embargo-delivery']));
      expect(new Set(deliveries).size).toBe(deliveries.length);
      expect(hooks.map((h) => JSON.parse(h.body).case.state)).toEqual(['published']);
      const pending = await ctx.deps.db
        .selectFrom('webhook_deliveries')
        .select('status')
        .where('status', '!=', 'delivered')
        .execute();
      expect(pending).toEqual([]);
    },
  );
});
