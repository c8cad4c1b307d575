import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/db/connect.js';
import { createTestDatabase, type EngineName, engines, type TestDatabase } from '../support/databases.js';

// Runs the compiled binary exactly as an operator would (npm test builds dist/ before vitest).
const MAIN = 'dist/main.js';

function run(args: string[], env: Record<string, string>, stdin?: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs `embargo serve ARGS` on a fresh database (so the demo project is seeded) until `ready`
 * appears in its output, hands it to `body`, and always cleans up the process and the database.
 */
async function withServe(
  options: { engine: EngineName; args: string[]; env: Record<string, string>; ready: string },
  body: (server: { output: () => string; stop: () => Promise<number | null>; databaseUrl: string }) => Promise<void>,
): Promise<void> {
  const fresh = await createTestDatabase(options.engine, { migrate: false });
  await fresh.db.destroy();
  const child = spawn(process.execPath, [MAIN, 'serve', ...options.args], {
    env: { ...process.env, DATABASE_URL: fresh.url, EMBARGO_SECRET: 'cli-test', ...options.env },
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (!out.includes(options.ready)) return;
        clearInterval(timer);
        resolve();
      }, 50);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`serve exited with ${code}: ${out}`));
      });
    });
    await body({
      databaseUrl: fresh.url,
      output: () => out,
      stop: async () => {
        child.kill('SIGTERM');
        return exited;
      },
    });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await fresh.destroy();
  }
}

describe.each(engines())('the embargo command on %s', (engine) => {
  let t: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    if (!fs.existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
    t = await createTestDatabase(engine, { migrate: false });
    await t.db.destroy();
    env = { DATABASE_URL: t.url, LOG_LEVEL: 'warn', EMBARGO_SECRET: 'cli-test' };
  });
  afterAll(async () => {
    await t.destroy();
  });

  it('migrates, creates a user and a project, and refuses a taken slug', async () => {
    expect((await run(['migrate'], env)).code).toBe(0);
    const user = await run(['user', 'create', '--email', 'Lead@Example.org', '--name', 'Lead', '--admin'], env);
    expect(user.code).toBe(0);
    expect(user.stdout).toMatch(/instance admin lead@example\.org/);
    expect(user.stdout).toMatch(/http:\/\/localhost:8080\/setup\/[A-Za-z0-9_-]{43}/);

    const withPassword = await run(
      ['user', 'create', '--email', 'sec@example.org', '--name', 'Sec', '--password-stdin'],
      env,
      'a long enough password\n',
    );
    expect(withPassword.code).toBe(0);
    expect(withPassword.stdout).not.toMatch(/setup/);

    const project = await run(
      ['project', 'create', '--slug', 'widgets', '--name', 'Widgets', '--admin', 'lead@example.org'],
      env,
    );
    expect(project.code).toBe(0);
    const again = await run(['project', 'create', '--slug', 'widgets', '--name', 'Widgets'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('SLUG_TAKEN');

    const db = connect({ url: env.DATABASE_URL ?? '' });
    try {
      const member = await db
        .selectFrom('memberships')
        .innerJoin('projects', 'projects.id', 'memberships.project_id')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .select(['users.email', 'memberships.role', 'projects.slug'])
        .execute();
      expect(member).toEqual([{ email: 'lead@example.org', role: 'admin', slug: 'widgets' }]);
    } finally {
      await db.destroy();
    }
  });

  it('runs a worker-only process that neither listens nor replaces the first-admin link', async () => {
    await withServe(
      { engine, args: ['--roles', 'worker'], env: { LOG_LEVEL: 'info' }, ready: 'worker started' },
      async ({ output, stop }) => {
        expect(output()).not.toContain('/setup/');
        expect(output()).not.toContain('listening on');
        expect(await stop()).toBe(0);
      },
    );
  });

  it('serves with the demo project seeded, prints the first-admin link, and stops on SIGTERM', async () => {
    const port = await freePort();
    const env = {
      PORT: String(port),
      LOG_LEVEL: 'warn',
      EMBARGO_PUBLIC_URL: `http://127.0.0.1:${port}`,
      EMBARGO_SMTP_IN_PORT: '0',
    };
    await withServe({ engine, args: [], env, ready: 'Mail intake (SMTP) is listening' }, async ({ output, stop }) => {
      expect(output()).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${port}/setup/[A-Za-z0-9_-]{43}`));
      const form = await fetch(`http://127.0.0.1:${port}/p/demo/report`);
      expect(form.status).toBe(200);
      expect(await form.text()).toContain('Demo Project');
      expect(await stop()).toBe(0);
    });
  });
  it("turns a newcomer's mail to the demo project's address into a report in its inbox", async () => {
    const smtpPort = await freePort();
    const env = {
      PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      EMBARGO_SMTP_IN_PORT: String(smtpPort),
      EMBARGO_MAIL_DOMAIN: 'example.org',
      EMBARGO_WORKER_POLL_MS: '100',
    };
    await withServe(
      { engine, args: [], env, ready: 'Mail intake (SMTP) is listening' },
      async ({ stop, databaseUrl }) => {
        const transport = nodemailer.createTransport({
          host: '127.0.0.1',
          port: smtpPort,
          secure: false,
          ignoreTLS: true,
        });
        await transport.sendMail({
          from: 'Fran Finder <finder@example.net>',
          to: 'security@example.org',
          subject: 'Path traversal in the archive extractor',
          text: 'Entries named ../../etc/passwd escape the target directory.',
        });
        transport.close();
        const db = connect({ url: databaseUrl });
        try {
          const demoReports = () =>
            db
              .selectFrom('reports')
              .innerJoin('projects', 'projects.id', 'reports.project_id')
              .select(['reports.title', 'reports.source', 'reports.reporter_email', 'reports.status'])
              .where('projects.slug', '=', 'demo')
              .execute();
          await expect.poll(demoReports, { timeout: 10_000 }).toEqual([
            {
              title: 'Path traversal in the archive extractor',
              source: 'email',
              reporter_email: 'finder@example.net',
              status: 'new',
            },
          ]);
          // The reporter is answered by mail (kept in the outbox here: no outgoing SMTP is configured).
          const toReporter = () =>
            db
              .selectFrom('outbound_emails')
              .select('template')
              .where('to_address', '=', 'finder@example.net')
              .execute();
          await expect.poll(toReporter, { timeout: 10_000 }).toEqual([{ template: 'report-received' }]);
        } finally {
          await db.destroy();
        }
        expect(await stop()).toBe(0);
      },
    );
  });
});
