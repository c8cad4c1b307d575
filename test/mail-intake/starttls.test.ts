import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/databases.js';
import { type IntakeHarness, intakeProject, sender, startIntake } from './support.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-tls-'));
const cert = path.join(dir, 'cert.pem');
const key = path.join(dir, 'key.pem');
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=mail.test',
  ],
  {
    stdio: 'ignore',
  },
);

const sendWithTls = (h: IntakeHarness, to: string) =>
  nodemailer
    .createTransport({ host: '127.0.0.1', port: h.listener.port, requireTLS: true, tls: { rejectUnauthorized: false } })
    .sendMail({ from: sender(), to, subject: 'Over TLS', text: 'Encrypted in transit.' });

describe.each(engines())('STARTTLS on %s', (engine) => {
  let plain: IntakeHarness;
  let tls: IntakeHarness;
  beforeAll(async () => {
    plain = await startIntake(engine);
    tls = await startIntake(engine, { EMBARGO_SMTP_IN_TLS_CERT: cert, EMBARGO_SMTP_IN_TLS_KEY: key });
  });
  afterAll(async () => {
    await plain.close();
    await tls.close();
  });

  it('is offered when a certificate is configured, and mail then travels encrypted', async () => {
    const { project, address } = await intakeProject(tls.ctx);
    await sendWithTls(tls, address);
    const rows = await tls.ctx.deps.db
      .selectFrom('inbound_messages')
      .select('id')
      .where('project_id', '=', project.id)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('is not offered without a certificate', async () => {
    const { address } = await intakeProject(plain.ctx);
    await expect(sendWithTls(plain, address)).rejects.toThrow(/STARTTLS/);
  });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
