import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';

// A real IMAP server for tests: Debian's Dovecot (package dovecot-imapd), started from a config of
// its own in a temporary directory, listening on a free loopback port, without TLS, with one user.
// Nothing of the machine's own Dovecot setup (/etc/dovecot) is read or touched.

export const DOVECOT = process.env.EMBARGO_TEST_DOVECOT || '/usr/sbin/dovecot';

export interface TestImapServer {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Puts a message into `mailbox` (IMAP APPEND) and returns its UID. */
  append(mailbox: string, raw: string | Buffer): Promise<number>;
  /** Creates a mailbox (a fresh one per test keeps tests apart). */
  createMailbox(name: string): Promise<void>;
  /** Deletes and creates `name` again: a new UIDVALIDITY, UIDs start again at 1. */
  recreateMailbox(name: string): Promise<void>;
  /** The server's log so far, to explain a failure. */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once the server greets a client with "* OK"; fails when Dovecot exits or after 15 s. */
async function waitForGreeting(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with ${child.exitCode}:\n${log()}`);
    const greeted = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setTimeout(1000);
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString('latin1').startsWith('* OK'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (greeted) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`dovecot did not greet on port ${port}:\n${log()}`);
}

/**
 * Dovecot refuses to run its login processes as root and to give mail access to uid 0, so as root
 * the Debian package's own unprivileged users do that work; as anyone else, that user does it all.
 */
function accounts(): { login: string; internal: string; mailUid: string; mailGid: string; firstValidUid: number } {
  const uid = process.getuid?.() ?? 0;
  if (uid === 0)
    return { login: 'dovenull', internal: 'dovecot', mailUid: 'dovecot', mailGid: 'dovecot', firstValidUid: 1 };
  const me = os.userInfo().username;
  return {
    login: me,
    internal: me,
    mailUid: String(uid),
    mailGid: String(process.getgid?.() ?? uid),
    firstValidUid: uid,
  };
}

function config(dir: string, port: number): string {
  const a = accounts();
  return `# Written by test/support/dovecot.ts
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Tests sign in with a wrong password on purpose: no delay after a failure, no brute-force penalty.
auth_failure_delay = 0
default_login_user = ${a.login}
default_internal_user = ${a.internal}
default_internal_group = ${a.internal}
first_valid_uid = ${a.firstValidUid}
mail_location = maildir:${dir}/mail/%u/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${a.mailUid} gid=${a.mailGid} home=${dir}/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  chroot =
}
`;
}

/** Starts Dovecot; throws with its log when it cannot (missing package, refused config). */
export async function startDovecot(): Promise<TestImapServer> {
  if (!fs.existsSync(DOVECOT)) {
    throw new Error(`${DOVECOT} is missing: install Debian's dovecot-imapd (apt-get install dovecot-imapd)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-dovecot-'));
  // Dovecot's unprivileged processes must reach the password file and the mail directory.
  fs.chmodSync(dir, 0o755);
  for (const sub of ['run', 'state']) fs.mkdirSync(path.join(dir, sub));
  fs.mkdirSync(path.join(dir, 'mail'), { mode: 0o777 });
  fs.chmodSync(path.join(dir, 'mail'), 0o777);
  const user = 'security';
  const password = `imap-pass-${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(path.join(dir, 'passwd'), `${user}:{PLAIN}${password}::::::\n`, { mode: 0o644 });
  const port = await freePort();
  const conf = path.join(dir, 'dovecot.conf');
  fs.writeFileSync(conf, config(dir, port));

  let output = '';
  const child = spawn(DOVECOT, ['-F', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => {
    const file = path.join(dir, 'dovecot.log');
    return output + (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
  };

  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForGreeting(port, child, log);
  } catch (err) {
    await stop();
    throw err;
  }

  /** Runs `fn` on a signed-in client of its own, then signs out. */
  const withClient = async <T>(fn: (client: ImapFlow) => Promise<T>): Promise<T> => {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      auth: { user, pass: password },
      logger: false,
    });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.logout().catch(() => client.close());
    }
  };

  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    log,
    stop,
    append: (mailbox, raw) =>
      withClient(async (client) => {
        const result = await client.append(mailbox, raw);
        if (!result || result.uid === undefined) throw new Error('the server did not tell the appended UID');
        return result.uid;
      }),
    createMailbox: (name) => withClient(async (client) => void (await client.mailboxCreate(name))),
    recreateMailbox: (name) =>
      withClient(async (client) => {
        await client.mailboxDelete(name);
        await client.mailboxCreate(name);
      }),
  };
}

/** A small, valid message; `n` makes its Subject and Message-ID its own. */
export function testMessage(n: number | string, options: { bodyBytes?: number } = {}): string {
  const body = options.bodyBytes ? 'x'.repeat(options.bodyBytes) : `The parser overflows on input ${n}.`;
  return [
    'From: Reporter <reporter@example.net>',
    'To: security@example.org',
    `Subject: Vulnerability ${n}`,
    `Message-ID: <imap-test-${n}@example.net>`,
    'Date: Mon, 02 Mar 2026 09:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\r\n');
}
