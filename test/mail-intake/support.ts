import net from 'node:net';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { SentMessageInfo } from 'nodemailer/lib/smtp-transport/index.js';
import { addIntakeAddress } from '../../src/domain/mail-intake/intake-addresses.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { createWorker, type Worker } from '../../src/jobs/worker.js';
import { type SmtpListener, startSmtpListener } from '../../src/mail/inbound/smtp-listener.js';
import { createTestContext, type TestContext } from '../support/app.js';
import type { EngineName } from '../support/databases.js';
import { makeProject } from '../support/factories.js';

const system = { kind: 'system', label: 'test' } as const;

/** A test app with the real SMTP listener on a loopback port and a worker to run its jobs. */
export interface IntakeHarness {
  ctx: TestContext;
  listener: SmtpListener;
  worker: Worker;
  /** Sends a message with nodemailer, over SMTP, to the listener. */
  send(message: Mail.Options): Promise<SentMessageInfo>;
  /** Runs every due job (processing, then the emails it queued). */
  work(): Promise<number>;
  close(): Promise<void>;
}

export async function startIntake(engine: EngineName, env: Record<string, string> = {}): Promise<IntakeHarness> {
  const ctx = await createTestContext(engine, {
    env: { EMBARGO_SMTP_IN_PORT: '0', EMBARGO_MAIL_DOMAIN: 'mail.test', ...env },
  });
  const listener = await startSmtpListener(ctx.deps);
  const worker = createWorker({
    db: ctx.deps.db,
    clock: ctx.clock,
    logger: ctx.deps.logger,
    handlers: jobHandlers(ctx.deps),
    pollMs: 1000,
    concurrency: 2,
  });
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: listener.port,
    secure: false,
    ignoreTLS: true,
  });
  return {
    ctx,
    listener,
    worker,
    send: (message) => transport.sendMail(message),
    work: () => worker.runDue(),
    async close() {
      transport.close();
      await listener.close();
      await ctx.close();
    },
  };
}

let counter = 0;
/** A project of its own with an intake address of its own. */
export async function intakeProject(ctx: TestContext): Promise<{ project: Project; address: string }> {
  const project = await makeProject(ctx.deps.db, ctx.clock);
  const address = `security-${++counter}-${project.slug}@intake.test`;
  await ctx.deps.db.transaction().execute((trx) =>
    addIntakeAddress(trx, ctx.clock, {
      by: { actor: system, origin: { ip: null, userAgent: null } },
      projectId: project.id,
      address,
    }),
  );
  return { project, address };
}

/** A sender address nobody else uses, so per-sender allowances never meet across tests. */
export function sender(name = 'reporter'): string {
  return `${name}-${++counter}-${Date.now().toString(36)}@example.net`;
}

/** The replies of a hand-driven SMTP session: one per command, as `<code> <text>`. */
export interface RawSession {
  greeting: string;
  mailFrom: string;
  rcptTo: string[];
  /** The answer to DATA and then to the message; null when DATA was not reached. */
  data: string | null;
  message: string | null;
}

/**
 * Speaks SMTP by hand, for what a well-behaved client will not send: the null sender, raw
 * malformed MIME, a message larger than the advertised SIZE.
 */
export async function rawSmtp(
  port: number,
  options: { from: string; to: string[]; data: Buffer | string },
): Promise<RawSession> {
  const socket = net.connect(port, '127.0.0.1');
  let buffer = '';
  const waiting: Array<(reply: string) => void> = [];
  const ready: string[] = [];
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (;;) {
      const match = /^(\d{3}) [^\r\n]*\r?\n/m.exec(buffer);
      if (!match) break;
      const end = match.index + match[0].length;
      const reply = buffer.slice(0, end).trim().split(/\r?\n/).pop() ?? '';
      buffer = buffer.slice(end);
      const next = waiting.shift();
      if (next) next(reply);
      else ready.push(reply);
    }
  });
  const reply = () =>
    new Promise<string>((resolve, reject) => {
      const early = ready.shift();
      if (early !== undefined) return resolve(early);
      waiting.push(resolve);
      socket.once('error', reject);
    });
  const command = (line: string) => {
    socket.write(`${line}\r\n`);
    return reply();
  };
  try {
    const greeting = await reply();
    await command('EHLO client.test');
    const mailFrom = await command(`MAIL FROM:<${options.from}>`);
    const rcptTo: string[] = [];
    for (const to of options.to) rcptTo.push(await command(`RCPT TO:<${to}>`));
    let data: string | null = null;
    let message: string | null = null;
    if (mailFrom.startsWith('250') && rcptTo.some((r) => r.startsWith('250'))) {
      data = await command('DATA');
      if (data.startsWith('354')) {
        const body = Buffer.isBuffer(options.data) ? options.data.toString('latin1') : options.data;
        // Dot-stuffing, then the end of data.
        socket.write(`${body.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..')}\r\n.\r\n`, 'latin1');
        message = await reply();
      }
    }
    await command('QUIT');
    return { greeting, mailFrom, rcptTo, data, message };
  } finally {
    socket.destroy();
  }
}

/** Every row of a table matching a column, for before/after comparisons. */
export async function countRows(
  ctx: TestContext,
  table: 'reports' | 'inbound_messages' | 'outbound_emails' | 'jobs',
): Promise<number> {
  const row = await ctx.deps.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
