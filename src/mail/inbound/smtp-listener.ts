import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { HOUR_MS } from '../../clock.js';
import type { Deps } from '../../deps.js';
import { hashToken } from '../../domain/ids.js';
import { hit, type RateLimitRule } from '../../domain/instance/rate-limit.service.js';
import { type Recipient, resolveRecipient } from '../../domain/mail-intake/recipients.js';
import { storeInboundMessage } from '../../domain/mail-intake/store-inbound.js';

export type SmtpListenerDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'secret' | 'logger' | 'wakeWorker'>;

export interface SmtpListener {
  port: number;
  close(): Promise<void>;
}

// RFC 5321 4.5.3.1.8 asks servers to take at least 100; mail to a security@ address has one or two.
const MAX_RECIPIENTS = 20;
// Each session may hold a whole message (up to maxMessageBytes) in memory while it is stored; more
// clients than this are asked to come back later (421), which sending servers do.
const MAX_CLIENTS = 20;

const TOO_MANY = '4.7.1 Too many messages from this sender; try later';

function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

/** Reads the message, keeping at most `max` bytes; `over` says whether more was sent (it is drained). */
function readBounded(stream: SMTPServerDataStream, max: number): Promise<{ raw: Buffer; over: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    });
    stream.once('error', reject);
    stream.once('end', () => resolve({ raw: Buffer.concat(chunks), over: size > max || stream.sizeExceeded }));
  });
}

/** The hourly allowance of one envelope sender (hashed: the counter table is no place for reporters' addresses). */
function senderRule(deps: SmtpListenerDeps, mailFrom: string): RateLimitRule {
  // The null sender of bounces shares one bucket.
  const sender = mailFrom.trim().toLowerCase() || '<>';
  return {
    bucket: `mail-in:sender:${hashToken(sender).slice(0, 32)}`,
    limit: deps.config.mailIn.perSenderPerHour,
    windowMs: HOUR_MS,
  };
}

class Peeked extends Error {
  constructor(readonly allowed: boolean) {
    super('rate limit peek');
  }
}

/**
 * Whether one more message of the sender would be within the allowance, counting nothing: the hit
 * is rolled back. Only accepted messages count, so that anyone naming a sender in MAIL FROM (then
 * RSET or QUIT) cannot use up that sender's allowance.
 */
async function senderAllowed(deps: SmtpListenerDeps, rule: RateLimitRule): Promise<boolean> {
  try {
    await deps.db.transaction().execute(async (trx) => {
      throw new Peeked((await hit(trx, deps.clock, rule)).allowed);
    });
  } catch (err) {
    if (err instanceof Peeked) return err.allowed;
    throw err;
  }
  return false;
}

class OverAllowance extends Error {}

/**
 * The `mail-in` role: an SMTP server that accepts mail for intake addresses and reply addresses
 * only, and answers 250 only once the message and its processing job are committed, so nothing
 * it accepted is lost. Refusals store nothing: an unknown recipient at RCPT (550), a sender over
 * their hourly allowance at MAIL FROM, or after DATA when other sessions used it up meanwhile
 * (451), an oversized message after DATA (552). The allowance counts accepted messages only.
 */
export async function startSmtpListener(deps: SmtpListenerDeps): Promise<SmtpListener> {
  const { config, logger } = deps;
  const log = logger.child({ role: 'mail-in' });
  const tls = config.mailIn.tlsCertFile && config.mailIn.tlsKeyFile;
  // Recipients routed at RCPT time, per session, for the transaction under way.
  const routed = new Map<string, Recipient[]>();

  const server = new SMTPServer({
    name: config.mailIn.domain,
    banner: 'Embargo mail intake',
    size: config.mailIn.maxMessageBytes,
    rejectOversized: true,
    maxRecipients: MAX_RECIPIENTS,
    maxClients: MAX_CLIENTS,
    authOptional: true,
    disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(tls
      ? { cert: fs.readFileSync(config.mailIn.tlsCertFile ?? ''), key: fs.readFileSync(config.mailIn.tlsKeyFile ?? '') }
      : {}),
    logger: false,

    onMailFrom(address, session, callback) {
      routed.set(session.id, []);
      // Checked here so that a sender over the allowance is not made to send the message; counted
      // only once a message is accepted (in store).
      senderAllowed(deps, senderRule(deps, address.address)).then(
        (allowed) => callback(allowed ? null : smtpError(451, TOO_MANY)),
        (err: unknown) => {
          log.error({ err: String(err) }, 'could not count a sender');
          callback(smtpError(451, '4.3.0 Temporary failure; try again later'));
        },
      );
    },

    onRcptTo(address, session, callback) {
      resolveRecipient(deps, address.address).then(
        (recipient) => {
          if (!recipient) return callback(smtpError(550, '5.1.1 No such user here'));
          routed.get(session.id)?.push(recipient);
          callback();
        },
        (err: unknown) => {
          log.error({ err: String(err) }, 'could not route a recipient');
          callback(smtpError(451, '4.3.0 Temporary failure; try again later'));
        },
      );
    },

    onData(stream, session, callback) {
      readBounded(stream, config.mailIn.maxMessageBytes)
        .then(async ({ raw, over }) => {
          if (over) return callback(smtpError(552, '5.3.4 Message too big'));
          const recipients = routed.get(session.id) ?? [];
          if (recipients.length === 0) return callback(smtpError(554, '5.5.1 No valid recipients'));
          const ids = await store(deps, session, raw, recipients);
          log.info({ inboundIds: ids, size: raw.length }, 'accepted a message');
          callback(null, 'Message accepted');
          deps.wakeWorker();
        })
        .catch((err: unknown) => {
          if (err instanceof OverAllowance) return callback(smtpError(451, TOO_MANY));
          log.error({ err: String(err) }, 'could not store an accepted message');
          callback(smtpError(451, '4.3.0 Temporary failure; try again later'));
        });
    },

    onClose(session) {
      routed.delete(session.id);
    },
  });
  server.on('error', (err) => log.warn({ err: err.message }, 'SMTP connection error'));

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(config.mailIn.port, config.mailIn.host, () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * One row per project the message is addressed to (a reporter may write to two projects at once),
 * each with only its own recipients, all in one transaction with their processing jobs.
 */
async function store(
  deps: SmtpListenerDeps,
  session: SMTPServerSession,
  raw: Buffer,
  recipients: Recipient[],
): Promise<string[]> {
  const byProject = new Map<string, string[]>();
  for (const r of recipients) byProject.set(r.projectId, [...(byProject.get(r.projectId) ?? []), r.address]);
  const mailFrom = session.envelope.mailFrom;
  const envelopeFrom = mailFrom ? mailFrom.address.trim() || null : null;
  return deps.db.transaction().execute(async (trx) => {
    // Counted with the message: a message that is not stored (the transaction fails) is not counted.
    if (!(await hit(trx, deps.clock, senderRule(deps, mailFrom ? mailFrom.address : ''))).allowed) {
      throw new OverAllowance();
    }
    const ids: string[] = [];
    for (const [projectId, envelopeTo] of byProject) {
      const stored = await storeInboundMessage(trx, deps, { source: 'smtp', projectId, raw, envelopeFrom, envelopeTo });
      ids.push(stored.id);
    }
    return ids;
  });
}
