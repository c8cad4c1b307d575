import path from 'node:path';

/** Every setting Embargo reads. This module is the only reader of process.env. */
export interface Config {
  port: number;
  host: string;
  /** Base URL used in links sent by mail and printed at start. */
  publicUrl: URL;
  /** `sqlite:<file>` or a postgres:// URL. */
  databaseUrl: string;
  dataDir: string;
  /** HMAC key for CSRF tokens; when unset, one is generated once and kept in the database. */
  secret: string | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  logLevel: string;
  seedDemo: boolean;
  trustProxy: boolean;
  intake: {
    /** Reports accepted per client address per hour. */
    perAddressPerHour: number;
    maxAttachmentBytes: number;
    maxAttachments: number;
  };
  replies: {
    /** Reporter replies accepted per report per hour (each one emails every member). */
    perReportPerHour: number;
    /** Reporter replies accepted per client address per hour, across reports. */
    perAddressPerHour: number;
  };
  login: {
    /** Failed logins tolerated per account and per address in the window before refusing. */
    maxFailures: number;
    windowMinutes: number;
  };
  mailIn: {
    host: string;
    port: number;
    /** PEM files for STARTTLS; without them the listener offers no TLS (fine on loopback or behind an MTA). */
    tlsCertFile: string | undefined;
    tlsKeyFile: string | undefined;
    /** Domain of per-report reply addresses (security+r-...@domain); defaults to the public host. */
    domain: string;
    maxMessageBytes: number;
    perSenderPerHour: number;
    imapPollSeconds: number;
  };
  sessionDays: number;
  /** Mailing list subscription requests accepted per client address per hour. */
  listRequestsPerHour: number;
  worker: {
    pollMs: number;
    concurrency: number;
    /** How long a claim lasts without renewal: a running job renews it; a dead worker's job is free after it. */
    lockMs: number;
  };
  /**
   * The CVE Services account of the instance's CNA (EMBARGO_CVE_SERVICES_URL, EMBARGO_CVE_API_ORG,
   * EMBARGO_CVE_API_USER, EMBARGO_CVE_API_KEY; EMBARGO_CVE_CNA_ORG_ID is the CNA's UUID, written in
   * each record's providerMetadata). Null when not configured: CNA projects then enter ids by hand.
   */
  cveServices: { url: string; org: string; user: string; key: string; orgId: string | null } | null;
  /**
   * The project whose security.txt and CSAF provider metadata the instance serves at
   * /.well-known/ (EMBARGO_WELL_KNOWN_PROJECT, a slug). Unset: the only project, when there is one.
   */
  wellKnownProject: string | undefined;
  /**
   * Crash tests only: names of points (src/failpoints.ts) where the process kills itself, as a power
   * cut would, to prove that nothing is lost or done twice across a crash. Empty in production.
   */
  failpoints: readonly string[];
  webhooks: {
    /** Lets webhooks target loopback, private and link-local addresses (tests, or a receiver on the LAN). */
    allowPrivate: boolean;
  };
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

// One address may follow a few reports of its own (or sit behind a shared NAT): three times the
// per-report allowance, so one link cannot be the way around the other limit.
function repliesConfig(perReportPerHour: number): Config['replies'] {
  return { perReportPerHour, perAddressPerHour: 3 * perReportPerHour };
}

function cveServicesConfig(env: Env): Config['cveServices'] {
  const url = env.EMBARGO_CVE_SERVICES_URL;
  const org = env.EMBARGO_CVE_API_ORG;
  const user = env.EMBARGO_CVE_API_USER;
  const key = env.EMBARGO_CVE_API_KEY;
  if (!url || !org || !user || !key) return null;
  return { url, org, user, key, orgId: env.EMBARGO_CVE_CNA_ORG_ID || null };
}

export function loadConfig(env: Env = process.env): Config {
  const port = int(env, 'PORT', 8080);
  const dataDir = path.resolve(env.EMBARGO_DATA_DIR || 'data');
  const publicUrl = new URL(env.EMBARGO_PUBLIC_URL || `http://localhost:${port}`);
  return {
    port,
    host: env.HOST || '127.0.0.1',
    publicUrl,
    databaseUrl: env.DATABASE_URL || `sqlite:${path.join(dataDir, 'embargo.sqlite')}`,
    dataDir,
    secret: env.EMBARGO_SECRET || undefined,
    smtpUrl: env.EMBARGO_SMTP_URL || undefined,
    mailFrom: env.EMBARGO_MAIL_FROM || `Embargo <embargo@${publicUrl.hostname}>`,
    logLevel: env.LOG_LEVEL || 'info',
    seedDemo: bool(env, 'EMBARGO_SEED_DEMO', true),
    trustProxy: bool(env, 'EMBARGO_TRUST_PROXY', false),
    intake: {
      perAddressPerHour: int(env, 'EMBARGO_INTAKE_PER_HOUR', 10),
      maxAttachmentBytes: 10 * 1024 * 1024,
      maxAttachments: 5,
    },
    replies: repliesConfig(int(env, 'EMBARGO_REPLIES_PER_HOUR', 20)),
    login: {
      maxFailures: int(env, 'EMBARGO_LOGIN_MAX_FAILURES', 5),
      windowMinutes: int(env, 'EMBARGO_LOGIN_WINDOW_MINUTES', 15),
    },
    mailIn: {
      host: env.EMBARGO_SMTP_IN_HOST || '127.0.0.1',
      port: int(env, 'EMBARGO_SMTP_IN_PORT', 2525),
      tlsCertFile: env.EMBARGO_SMTP_IN_TLS_CERT || undefined,
      tlsKeyFile: env.EMBARGO_SMTP_IN_TLS_KEY || undefined,
      domain: (env.EMBARGO_MAIL_DOMAIN || publicUrl.hostname).toLowerCase(),
      // Five 10 MB attachments grow by a third in base64, plus the text.
      maxMessageBytes: int(env, 'EMBARGO_SMTP_IN_MAX_BYTES', 72 * 1024 * 1024),
      perSenderPerHour: int(env, 'EMBARGO_SMTP_IN_PER_SENDER_PER_HOUR', 20),
      imapPollSeconds: int(env, 'EMBARGO_IMAP_POLL_SECONDS', 60),
    },
    sessionDays: int(env, 'EMBARGO_SESSION_DAYS', 14),
    listRequestsPerHour: int(env, 'EMBARGO_LIST_REQUESTS_PER_HOUR', 10),
    worker: {
      pollMs: int(env, 'EMBARGO_WORKER_POLL_MS', 1000),
      concurrency: int(env, 'EMBARGO_WORKER_CONCURRENCY', 4),
      lockMs: int(env, 'EMBARGO_WORKER_LOCK_SECONDS', 300) * 1000,
    },
    failpoints: (env.EMBARGO_FAILPOINTS ?? '')
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean),
    cveServices: cveServicesConfig(env),
    wellKnownProject: env.EMBARGO_WELL_KNOWN_PROJECT || undefined,
    // Off by default: otherwise a project admin could make the server post to its own network.
    webhooks: { allowPrivate: bool(env, 'EMBARGO_WEBHOOK_ALLOW_PRIVATE', false) },
  };
}
