import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/databases.js';
import { type IntakeHarness, intakeProject, rawSmtp, sender, startIntake } from './support.js';

// The hourly allowance of an envelope sender counts the messages accepted from it, nothing else:
// a stranger who names someone in MAIL FROM and then gives up (RSET, QUIT, a refused message)
// cannot block that person's reports.

const PER_HOUR = 3;
const MAX_BYTES = 50_000;

/** A hand-driven SMTP session, one command at a time, for what a mail client would never do. */
async function session(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  let buffer = '';
  const replies: string[] = [];
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let match = /^\d{3} [^\r\n]*\r?\n/m.exec(buffer); match; match = /^\d{3} [^\r\n]*\r?\n/m.exec(buffer)) {
      const end = match.index + match[0].length;
      replies.push(buffer.slice(0, end).trim().split(/\r?\n/).pop() ?? '');
      buffer = buffer.slice(end);
      wake?.();
    }
  });
  const reply = async (): Promise<string> => {
    while (replies.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return replies.shift() ?? '';
  };
  const command = (line: string) => {
    socket.write(`${line}\r\n`);
    return reply();
  };
  await reply(); // the greeting
  await command('EHLO client.test');
  return {
    command,
    /** Sends the message after a 354 and returns the answer to it. */
    data: (text: string) => {
      socket.write(`${text.replace(/\r?\n/g, '\r\n')}\r\n.\r\n`);
      return reply();
    },
    close: () => socket.destroy(),
  };
}

describe.each(engines())('the per-sender hourly allowance on %s', (engine) => {
  let h: IntakeHarness;
  beforeAll(async () => {
    h = await startIntake(engine, {
      EMBARGO_SMTP_IN_PER_SENDER_PER_HOUR: String(PER_HOUR),
      EMBARGO_SMTP_IN_MAX_BYTES: String(MAX_BYTES),
    });
  });
  afterAll(() => h.close());

  const inboundOf = (projectId: string) =>
    h.ctx.deps.db.selectFrom('inbound_messages').select('envelope_from').where('project_id', '=', projectId).execute();
  const mail = (to: string, subject: string) =>
    `From: someone@example.net\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nHi.`;

  it('is not used up by MAIL FROM:<victim> then RSET, nor by refused messages', async () => {
    const { project, address } = await intakeProject(h.ctx);
    const victim = sender('victim');
    const stranger = await session(h.listener.port);
    try {
      for (let i = 0; i < PER_HOUR * 5; i++) {
        expect(await stranger.command(`MAIL FROM:<${victim}>`)).toMatch(/^250 /);
        expect(await stranger.command(`RCPT TO:<${address}>`)).toMatch(/^250 /);
        expect(await stranger.command('RSET')).toMatch(/^250 /);
      }
      // Mail to nobody here, and a message over the size limit: refused, so not counted either.
      expect(await stranger.command(`MAIL FROM:<${victim}>`)).toMatch(/^250 /);
      expect(await stranger.command('RCPT TO:<nobody@intake.test>')).toMatch(/^550 /);
      expect(await stranger.command('RSET')).toMatch(/^250 /);
    } finally {
      stranger.close();
    }
    const big = `${mail(address, 'big')}\r\n${'x'.repeat(76)}\r\n`.repeat(Math.ceil(MAX_BYTES / 78) + 10);
    expect((await rawSmtp(h.listener.port, { from: victim, to: [address], data: big })).message).toMatch(/^552 /);

    // The victim's own messages are all accepted, up to the allowance, and the next one is refused.
    for (let i = 0; i < PER_HOUR; i++) {
      const sent = await rawSmtp(h.listener.port, { from: victim, to: [address], data: mail(address, `r${i}`) });
      expect(sent.message).toMatch(/^250 /);
    }
    const over = await rawSmtp(h.listener.port, { from: victim, to: [address], data: mail(address, 'r4') });
    expect(over.mailFrom).toMatch(/^451 4\.7\.1 /);
    expect(await inboundOf(project.id)).toEqual(Array.from({ length: PER_HOUR }, () => ({ envelope_from: victim })));
  });

  it('counts at acceptance: sessions that all passed MAIL FROM get no more than the allowance accepted', async () => {
    const { project, address } = await intakeProject(h.ctx);
    const from = sender('eager');
    const open = [];
    for (let i = 0; i < PER_HOUR + 2; i++) open.push(await session(h.listener.port));
    try {
      for (const s of open) {
        expect(await s.command(`MAIL FROM:<${from}>`)).toMatch(/^250 /);
        expect(await s.command(`RCPT TO:<${address}>`)).toMatch(/^250 /);
        expect(await s.command('DATA')).toMatch(/^354 /);
      }
      const answers = [];
      for (const [i, s] of open.entries()) answers.push(await s.data(mail(address, `m${i}`)));
      expect(answers.filter((a) => a.startsWith('250 '))).toHaveLength(PER_HOUR);
      expect(answers.filter((a) => a.startsWith('451 4.7.1 '))).toHaveLength(2);
    } finally {
      for (const s of open) s.close();
    }
    expect(await inboundOf(project.id)).toHaveLength(PER_HOUR);
  });
});
