import { loadConfig } from '../config.js';
import { armFailpoints } from '../failpoints.js';
import { seedDemoProject } from '../domain/instance/demo.service.js';
import { issueFirstAdminLink } from '../domain/users/setup.service.js';
import { buildApp } from '../http/app.js';
import { listen } from '../http/server.js';
import { jobHandlers } from '../jobs/handlers.js';
import { createWorker } from '../jobs/worker.js';
import { startImapPolling } from '../mail/inbound/imap-poller.js';
import { startSmtpListener } from '../mail/inbound/smtp-listener.js';
import { openRuntime, say } from './runtime.js';

export const ROLES = ['web', 'worker', 'mail-in'] as const;
export type Role = (typeof ROLES)[number];

export function parseRoles(value: string | undefined): Role[] {
  if (!value) return [...ROLES];
  const roles = value.split(',').map((r) => r.trim());
  for (const r of roles) {
    if (!(ROLES as readonly string[]).includes(r)) throw new Error(`unknown role "${r}" (known: ${ROLES.join(', ')})`);
  }
  return roles as Role[];
}

/**
 * Runs the requested roles in this process: `web` serves HTTP, `worker` runs the job queue,
 * `mail-in` receives mail over SMTP. Any number of processes may run any role against one
 * PostgreSQL database.
 */
export async function serve(options: { roles: Role[] }): Promise<void> {
  const config = loadConfig();
  armFailpoints(config.failpoints);
  const runtime = await openRuntime(config);
  const { deps } = runtime;
  const log = deps.logger;

  const seeded = config.seedDemo
    ? await deps.db.transaction().execute((trx) => seedDemoProject(trx, deps, { mailDomain: config.mailIn.domain }))
    : false;
  if (seeded) log.info({ slug: 'demo' }, 'seeded the demo project');
  // Only a web process offers the link (a new one replaces older ones), so a worker restarting
  // elsewhere does not cancel the link the operator was just shown.
  const link = options.roles.includes('web')
    ? await deps.db.transaction().execute((trx) => issueFirstAdminLink(trx, deps))
    : undefined;
  if (link) {
    // Printed for the operator at the terminal, not logged: it is a one-time secret.
    say(`\nNo instance admin has a password yet. Set the first admin's password here (valid 24 hours):\n  ${link}\n`);
  }

  const stops: Array<() => Promise<void>> = [];
  if (options.roles.includes('worker')) {
    const worker = createWorker({
      db: deps.db,
      clock: deps.clock,
      logger: log.child({ role: 'worker' }),
      handlers: jobHandlers(deps),
      pollMs: config.worker.pollMs,
      concurrency: config.worker.concurrency,
      lockMs: config.worker.lockMs,
    });
    deps.wakeWorker = () => worker.wake();
    worker.start();
    stops.push(() => worker.stop());
    log.info({ workerId: worker.id }, 'worker started');
  }
  if (options.roles.includes('web')) {
    const app = await buildApp(deps);
    await listen(app, { host: config.host, port: config.port });
    stops.unshift(() => app.close());
    say(`Embargo is listening on ${config.publicUrl.origin} (roles: ${options.roles.join(', ')})`);
    say(`Report form of the demo project: ${config.publicUrl.origin}/p/demo/report`);
  }
  if (options.roles.includes('mail-in')) {
    const listener = await startSmtpListener(deps);
    // First to stop: no mail is accepted once shutting down (a sender retries later).
    stops.unshift(() => listener.close());
    log.info({ host: config.mailIn.host, port: listener.port }, 'mail intake listening');
    say(`Mail intake (SMTP) is listening on ${config.mailIn.host}:${listener.port}`);
    stops.push(startImapPolling(deps).stop); // projects' IMAP mailboxes, each polled under a lease
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    for (const stop of stops) await stop();
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
