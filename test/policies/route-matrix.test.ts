import crypto from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iso } from '../../src/clock.js';
import type { Trx } from '../../src/db/types.js';
import { ADVISORY_PROSE_FIELDS, emptyAdvisoryText } from '../../src/domain/advisories/advisories.js';
import {
  publishAdvisory,
  requirePublicRecord,
  saveAdvisoryDraft,
} from '../../src/domain/advisories/advisories.service.js';
import { importAdvisory } from '../../src/domain/advisories/advisory-import.service.js';
import { addToPool, assignCveId, recordRequestedCve } from '../../src/domain/advisories/cve-ids.service.js';
import {
  getSecuritySettings,
  type SecuritySettings,
  updateSecuritySettings,
} from '../../src/domain/advisories/security-settings.service.js';
import { publishAnnouncement } from '../../src/domain/announcements/announcements.service.js';
import { requestSubscription, unsubscribeToken } from '../../src/domain/announcements/lists.service.js';
import { saveTemplate } from '../../src/domain/announcements/templates.service.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { addIntakeAddress } from '../../src/domain/mail-intake/intake-addresses.service.js';
import { storeInboundMessage } from '../../src/domain/mail-intake/store-inbound.js';
import { addImapAccount } from '../../src/domain/mail-intake/imap-accounts.service.js';
import { generateProjectKey } from '../../src/domain/pgp/pgp-keys.service.js';
import { addBranch } from '../../src/domain/projects/branches.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { addMember, requireProject } from '../../src/domain/projects/projects.service.js';
import type { Report } from '../../src/domain/reports/reports.js';
import * as triage from '../../src/domain/reports/triage.service.js';
import { addPackage, addRange } from '../../src/domain/cases/affected.service.js';
import { reviewPatch, uploadPatch } from '../../src/domain/cases/patches.service.js';
import { inviteCollaborator } from '../../src/domain/cases/collaborators.service.js';
import { transitionCase } from '../../src/domain/cases/case-transitions.service.js';
import { activateEmbargo, proposeEmbargo } from '../../src/domain/cases/embargo.service.js';
import type { EmbargoPolicy } from '../../src/domain/cases/embargo-policy.js';
import { getStoredEmbargoPolicy, updateEmbargoPolicy } from '../../src/domain/cases/embargo-policy.service.js';
import { requireCase } from '../../src/domain/cases/cases.service.js';
import { setCaseEmbargoed } from '../../src/domain/cases/cases.repository.js';
import type { Distributor } from '../../src/domain/distributors/distributors.js';
import { requireDistributor } from '../../src/domain/distributors/distributors.service.js';
import { notifyDistributors } from '../../src/domain/distributors/notices.service.js';
import { getProgram, updateProgram } from '../../src/domain/distributors/program.service.js';
import { addWebhook } from '../../src/domain/webhooks/webhooks.service.js';
import { addTeamMember, setAway } from '../../src/domain/cases/fix-team.service.js';
import { addCaseCwe } from '../../src/domain/severity/case-severity.service.js';
import { confirmDependent, requestDependentSubscription } from '../../src/domain/scan/dependents.service.js';
import { registerProjectDependency } from '../../src/domain/scan/project-dependents.service.js';
import { registerInventory } from '../../src/domain/scan/inventories.service.js';
import { recordsFromFile } from '../../src/domain/scan/osv-files.js';
import { importOsvRecords } from '../../src/domain/scan/vulndb.service.js';
import { defaultSeverityPolicy } from '../../src/domain/severity/severity-policy.js';
import { getSeverityPolicy, updateSeverityPolicy } from '../../src/domain/severity/severity-policy.service.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { createSession } from '../../src/domain/users/sessions.service.js';
import { accountSetupLink } from '../../src/domain/users/setup.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { createUser } from '../../src/domain/users/users.service.js';
import { readOsv } from '../../src/formats/osv-read.js';
import { SESSION_COOKIE } from '../../src/http/plugins/auth.js';
import { queueEmail } from '../../src/mail/outbox.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { type CveServicesServer, startCveServicesServer } from '../support/cve-services-server.js';
import { engines } from '../support/databases.js';
import { makeDistributor, makeList } from '../support/disclosure.js';
import { absorbCookies, cookieHeader, csrfFrom, makeProject, makeUser, TEST_PASSWORD } from '../support/factories.js';
import { errorCode } from '../support/intake.js';
import { makeReport } from '../support/report-factory.js';

// The rule "every rule about who may see or do what lives in policies/ and is tested as a matrix:
// each route, each role, own project and another project's", checked over HTTP for every route the
// app registers. The table below is written by hand from what each role is meant to do (policy.ts
// and its unit matrix); it is not derived from the routes. A route without a row fails the first test.
// Reporters have no account: outside /status/<token> they are anonymous browsers.

const ACTORS = [
  'anonymous',
  'reporterOfThisReport', // holds the status token of the report in question
  'reporterOfAnotherReport', // holds the token of another report of the same project
  'userWithoutMembership',
  'instanceAdminNotMember',
  'securityMemberHere',
  'adminHere',
  'adminOfAnotherProject', // admin of the "another project" column's project
] as const;
type ActorName = (typeof ACTORS)[number];
type Reporter = 'reporterOfThisReport' | 'reporterOfAnotherReport';
type Account = Exclude<ActorName, 'anonymous' | Reporter>;
const isAccount = (a: ActorName): a is Account =>
  a !== 'anonymous' && a !== 'reporterOfThisReport' && a !== 'reporterOfAnotherReport';

/**
 * ok: 2xx, or 303 anywhere but the sign-in page. login: 303 to /login (pages), 401 AUTH_REQUIRED (JSON).
 * forbidden: 403 FORBIDDEN (never the CSRF refusal). hidden: 404.
 */
type Outcome = 'ok' | 'login' | 'forbidden' | 'hidden';
/** One outcome in every column, or [own project, another project]. */
type Expected = Outcome | readonly [own: Outcome, other: Outcome];
type Expectations = Record<ActorName, Expected>;

/**
 * own: a project where securityMemberHere and adminHere are members. other: a project where only
 * adminOfAnotherProject is. mixed: the own project's slug (or status token) with the other project's
 * ids, which must never reach the other project. instance: routes about no project.
 */
type Column = 'own' | 'other' | 'mixed' | 'instance';

// --- Who may do what, by kind of route -------------------------------------------------------------

const everyone: Expectations = {
  anonymous: 'ok',
  reporterOfThisReport: 'ok',
  reporterOfAnotherReport: 'ok',
  userWithoutMembership: 'ok',
  instanceAdminNotMember: 'ok',
  securityMemberHere: 'ok',
  adminHere: 'ok',
  adminOfAnotherProject: 'ok',
};
const anyAccount: Expectations = {
  anonymous: 'login',
  reporterOfThisReport: 'login',
  reporterOfAnotherReport: 'login',
  userWithoutMembership: 'ok',
  instanceAdminNotMember: 'ok',
  securityMemberHere: 'ok',
  adminHere: 'ok',
  adminOfAnotherProject: 'ok',
};
/** instance.manage. */
const instanceAdmins: Expectations = {
  anonymous: 'login',
  reporterOfThisReport: 'login',
  reporterOfAnotherReport: 'login',
  userWithoutMembership: 'forbidden',
  instanceAdminNotMember: 'ok',
  securityMemberHere: 'forbidden',
  adminHere: 'forbidden',
  adminOfAnotherProject: 'forbidden',
};
/** project.manage: the project's admins and instance admins; other accounts are told no. */
const projectManagers: Expectations = {
  anonymous: 'login',
  reporterOfThisReport: 'login',
  reporterOfAnotherReport: 'login',
  userWithoutMembership: 'forbidden',
  instanceAdminNotMember: 'ok',
  securityMemberHere: 'forbidden',
  adminHere: ['ok', 'forbidden'],
  adminOfAnotherProject: ['forbidden', 'ok'],
};
/**
 * project.members.manage: the project's admins. Instance admins only while a project has no admin
 * (both projects here have one), or they could make themselves members and read its reports.
 */
const memberManagers: Expectations = {
  anonymous: 'login',
  reporterOfThisReport: 'login',
  reporterOfAnotherReport: 'login',
  userWithoutMembership: 'forbidden',
  instanceAdminNotMember: 'forbidden',
  securityMemberHere: 'forbidden',
  adminHere: ['ok', 'forbidden'],
  adminOfAnotherProject: ['forbidden', 'ok'],
};
/**
 * project.intake.manage: the project's admins, like members. An intake address routes mail into a
 * project; an instance admin who could take one from a project (it has an admin here) could send its
 * reports to a project they read.
 */
const intakeManagers: Expectations = {
  anonymous: 'login',
  reporterOfThisReport: 'login',
  reporterOfAnotherReport: 'login',
  userWithoutMembership: 'forbidden',
  instanceAdminNotMember: 'forbidden',
  securityMemberHere: 'forbidden',
  adminHere: ['ok', 'forbidden'],
  adminOfAnotherProject: ['forbidden', 'ok'],
};
/** project.view, report.read/triage/message/note, case.read: members only; to anyone else the project's reports do not exist. */
const projectMembers: Expectations = {
  anonymous: 'login',
  reporterOfThisReport: 'login',
  reporterOfAnotherReport: 'login',
  userWithoutMembership: 'hidden',
  instanceAdminNotMember: 'hidden',
  securityMemberHere: ['ok', 'hidden'],
  adminHere: ['ok', 'hidden'],
  adminOfAnotherProject: ['hidden', 'ok'],
};
/** project.audit.read: the project's admins only. */
const projectAdmins: Expectations = {
  anonymous: 'login',
  reporterOfThisReport: 'login',
  reporterOfAnotherReport: 'login',
  userWithoutMembership: 'hidden',
  instanceAdminNotMember: 'hidden',
  securityMemberHere: ['forbidden', 'hidden'],
  adminHere: ['ok', 'hidden'],
  adminOfAnotherProject: ['hidden', 'ok'],
};
/**
 * report.status.*: the token in the URL is the only key, a session counts for nothing. Whoever holds
 * no token can only guess one. A reporter holding another report's token can name nothing but that
 * report: their request succeeds there, and the report in question is neither shown nor changed.
 */
const tokenHolders: Expectations = {
  anonymous: 'hidden',
  reporterOfThisReport: 'ok',
  reporterOfAnotherReport: 'ok',
  userWithoutMembership: 'hidden',
  instanceAdminNotMember: 'hidden',
  securityMemberHere: 'hidden',
  adminHere: 'hidden',
  adminOfAnotherProject: 'hidden',
};
/** A file of the report in question: with its own token only. */
const thisReporter: Expectations = { ...tokenHolders, reporterOfAnotherReport: 'hidden' };

// --- The world each cell runs in -----------------------------------------------------------------

const unique = () => crypto.randomBytes(4).toString('hex');
const system = { kind: 'system', label: 'route-matrix' } as const;
/** A well-formed status token nobody was given. */
const GUESSED_TOKEN = crypto.randomBytes(32).toString('base64url');

/** One project with the report in question, another report, a case and an email quoting the report. */
interface Site {
  project: Project;
  report: Report;
  token: string;
  attachmentId: string;
  otherToken: string;
  /** A case number this project has and the other project does not. */
  caseNumber: number;
  /** An email about the report whose body quotes it. */
  mailId: string;
  /** Text only the project's members (and, for the first, the report's reporter) may ever see. */
  secrets: { report: string; note: string; otherReport: string };
}

/** What a cell's request is about. */
interface Target {
  ctx: TestContext;
  /** The project in the URL. */
  slug: string;
  /** Where the ids in the URL come from (another project than the slug's in the mixed column). */
  site: Site;
  /** The status token the actor holds, or a guessed one. */
  token: string;
  /** The acting account; undefined for the anonymous and reporters. */
  user: User | undefined;
}

interface Req {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  /** The form (the runner adds the actor's CSRF token) or, under /api/, the JSON body. */
  body?: Record<string, string> | unknown;
  /** What the request may change: it must change when allowed and stay as it was when refused. */
  effect?: () => Promise<unknown>;
}

interface Row {
  route: string;
  expect: Expectations;
  scope: 'instance' | 'project';
  /** Run the mixed column too: the route takes ids under the project (or token) of its URL. */
  mixed?: true;
  /** The request ends or replaces the session, so it gets one of its own. */
  ownSession?: true;
  /** Secrets an allowed answer shows, which proves the checks that others never see them are not vacuous. */
  shows?: (site: Site) => string[];
  build: (t: Target) => Req | Promise<Req>;
}

const tx = <T>(ctx: TestContext, fn: (trx: Trx) => Promise<T>): Promise<T> => ctx.deps.db.transaction().execute(fn);
const by = { actor: system, origin: noOrigin };
const get = (url: string): Req => ({ method: 'GET', url });
const post = (url: string, body: Record<string, string>, effect?: () => Promise<unknown>): Req => ({
  method: 'POST',
  url,
  body,
  ...(effect ? { effect } : {}),
});

async function reportIn(ctx: TestContext, project: Project, state?: 'needs_info' | 'closed'): Promise<Report> {
  const { report } = await makeReport(ctx, project);
  const t = { ...by, projectId: project.id, reportId: report.id };
  if (state === 'needs_info') await tx(ctx, (trx) => triage.requestInfo(trx, ctx.deps, { ...t, message: 'Which?' }));
  if (state === 'closed') await tx(ctx, (trx) => triage.close(trx, ctx.deps, { ...t, reason: 'informative' }));
  return report;
}

const reportState = (ctx: TestContext, id: string) => async () => ({
  status: (await ctx.deps.db.selectFrom('reports').select('status').where('id', '=', id).executeTakeFirstOrThrow())
    .status,
  entries: (await ctx.deps.db.selectFrom('report_entries').select('id').where('report_id', '=', id).execute()).length,
});
const userRow = (ctx: TestContext, id: string) => () =>
  ctx.deps.db
    .selectFrom('users')
    .select(['disabled', 'is_instance_admin', 'password_hash'])
    .where('id', '=', id)
    .executeTakeFirst();
const membership = (ctx: TestContext, projectId: string, userId: string) => () =>
  ctx.deps.db
    .selectFrom('memberships')
    .select('role')
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
const branchRow = (ctx: TestContext, id: string) => () =>
  ctx.deps.db.selectFrom('release_branches').select('end_of_support').where('id', '=', id).executeTakeFirst();
const projectBySlug = (ctx: TestContext, slug: string) => () =>
  ctx.deps.db.selectFrom('projects').select(['name', 'updated_at']).where('slug', '=', slug).executeTakeFirst();
const reportCount = (ctx: TestContext, slug: string) => async () =>
  (
    await ctx.deps.db
      .selectFrom('reports')
      .innerJoin('projects', 'projects.id', 'reports.project_id')
      .select('reports.id')
      .where('projects.slug', '=', slug)
      .execute()
  ).length;

/** An account with no password (hashing one is slow), optionally a member of `project`. */
const account = (ctx: TestContext, project?: Project) =>
  tx(ctx, async (trx) => {
    const user = await createUser(trx, ctx.clock, { email: `user-${unique()}@example.org`, name: 'Someone' });
    if (project) await addMember(trx, ctx.clock, { projectId: project.id, userId: user.id, role: 'security' });
    return user;
  });
/** An account whose owner has set a password: only such accounts can be added to a project. */
const signedUpAccount = (ctx: TestContext) =>
  tx(ctx, (trx) =>
    createUser(trx, ctx.clock, { email: `user-${unique()}@example.org`, name: 'Someone', password: TEST_PASSWORD }),
  );
const freshBranch = (ctx: TestContext, project: Project) =>
  tx(ctx, (trx) => addBranch(trx, ctx.clock, { by, projectId: project.id, name: `b-${unique()}`, endOfSupport: null }));
/** An IMAP account whose server refuses connections at once (nobody listens on port 1). */
const freshImapAccount = (ctx: TestContext, project: Project) =>
  tx(ctx, (trx) =>
    addImapAccount(trx, ctx.deps, {
      by,
      projectId: project.id,
      input: { host: '127.0.0.1', port: 1, secure: false, username: `u-${unique()}`, password: 'pw', mailbox: '' },
    }),
  );
const imapRow = (ctx: TestContext, id: string) => () =>
  ctx.deps.db
    .selectFrom('imap_accounts')
    .select(['mailbox', 'enabled', 'last_polled_at', 'last_error'])
    .where('id', '=', id)
    .executeTakeFirst();
const pgpKeyOf = (ctx: TestContext, project: Project) => () =>
  ctx.deps.db
    .selectFrom('project_pgp_keys')
    .select('fingerprint')
    .where('project_id', '=', project.id)
    .executeTakeFirst();
/** Gives the project an OpenPGP key unless it has one. */
async function withPgpKey(ctx: TestContext, project: Project): Promise<void> {
  if (await pgpKeyOf(ctx, project)()) return;
  await tx(ctx, (trx) => generateProjectKey(trx, ctx.deps, { by, projectId: project.id }));
}
/** An account still waiting for its password, and a live setup link for it. */
async function invitee(ctx: TestContext): Promise<{ user: User; token: string }> {
  const user = await account(ctx);
  const link = await tx(ctx, (trx) => accountSetupLink(trx, ctx.deps, user.id));
  return { user, token: link.url.split('/').pop() ?? '' };
}

/** A quarantined inbound message of `project` (raw kept) whose subject is `subject`. */
async function quarantined(ctx: TestContext, project: Project, subject: string): Promise<string> {
  const raw = Buffer.from(`From: someone@example.net\r\nSubject: ${subject}\r\n\r\nBody.\r\n`);
  const { id } = await tx(ctx, (trx) =>
    storeInboundMessage(trx, ctx.deps, {
      source: 'smtp',
      projectId: project.id,
      raw,
      envelopeFrom: null,
      envelopeTo: [],
    }),
  );
  await ctx.deps.db.updateTable('inbound_messages').set({ status: 'quarantined' }).where('id', '=', id).execute();
  return id;
}
const inboundStatus = (ctx: TestContext, id: string) => () =>
  ctx.deps.db.selectFrom('inbound_messages').select('status').where('id', '=', id).executeTakeFirst();
const intakeAddress = (ctx: TestContext, project: Project) =>
  tx(ctx, (trx) =>
    addIntakeAddress(trx, ctx.clock, { by, projectId: project.id, address: `sec-${unique()}@intake.example.org` }),
  );

/** The token named `name`: POST /account/tokens creates it when allowed, and nothing else does. */
const apiTokenNamed = (ctx: TestContext, name: string) => () =>
  ctx.deps.db.selectFrom('api_tokens').select('id').where('name', '=', name).executeTakeFirst();
const apiTokenRevokedAt = (ctx: TestContext, id: string) => () =>
  ctx.deps.db.selectFrom('api_tokens').select('revoked_at').where('id', '=', id).executeTakeFirstOrThrow();
/** A live token of `owner`, made directly (as the owner would, audited). */
const apiTokenOf = (ctx: TestContext, owner: User) =>
  tx(ctx, (trx) =>
    createApiToken(trx, ctx.deps, {
      actor: actorOfUser(owner),
      origin: noOrigin,
      name: `matrix-${unique()}`,
      expiresInDays: 30,
    }),
  );

/**
 * Who sees a project's severity policy (GET page and API): its members (project.view), and those who
 * manage the project (project.manage), since they may change it; so an instance admin who is not a
 * member sees it too. Everyone else is told nothing of the project.
 */
const policyReaders: Expectations = { ...projectMembers, instanceAdminNotMember: 'ok' };

/** The project's policy in effect, as JSON: what a policy request may change. */
const severityPolicyOf = (ctx: TestContext, project: Project) => async () =>
  JSON.stringify(await getSeverityPolicy(ctx.deps.db, project.id));
/** A valid whole policy no earlier request stored: low cases get a fresh number of days. */
const freshPolicy = () => {
  const policy = structuredClone(defaultSeverityPolicy);
  policy.targets.low.fixDays = 181 + crypto.randomInt(3000);
  return policy;
};
/** The settings form for `freshPolicy()`, named as the page names its inputs. */
function severityForm(): Record<string, string> {
  const policy = freshPolicy();
  const form: Record<string, string> = {
    dayMode: policy.dayMode,
    timeZone: policy.timeZone,
    'gates.slowDownBelow': String(policy.gates.slowDownBelow),
    'gates.semiPublicBelow': String(policy.gates.semiPublicBelow),
    'shutdowns.0.from': '12-24',
    'shutdowns.0.to': '01-02',
  };
  for (const [severity, t] of Object.entries(policy.targets)) {
    form[`targets.${severity}.fixDays`] = String(t.fixDays);
    form[`targets.${severity}.release`] = t.release;
    form[`targets.${severity}.remindDays`] = t.remindDays === null ? '' : String(t.remindDays);
  }
  return form;
}
/** Gives the project a policy of its own, so that a reset has something to undo. */
const withOwnPolicy = (ctx: TestContext, project: Project) =>
  tx(ctx, (trx) => updateSeverityPolicy(trx, ctx.deps, { ...by, projectId: project.id, policy: freshPolicy() }));
const put = (url: string, body: unknown, effect?: () => Promise<unknown>): Req => ({
  method: 'PUT',
  url,
  body,
  ...(effect ? { effect } : {}),
});

/** A case of `project` opened just now (a report filed and accepted), for a request that changes it. */
async function freshCase(ctx: TestContext, project: Project): Promise<{ id: string; number: number }> {
  const report = await reportIn(ctx, project);
  const accepted = await tx(ctx, (trx) =>
    triage.accept(trx, ctx.deps, { ...by, projectId: project.id, reportId: report.id }),
  );
  return { id: accepted.case.id, number: accepted.case.number };
}
/** What a severity request may change: the case's severity row, CWEs and history. */
const severityOfCase = (ctx: TestContext, caseId: string) => async () => ({
  severity: await ctx.deps.db.selectFrom('case_severity').selectAll().where('case_id', '=', caseId).executeTakeFirst(),
  cwes: await ctx.deps.db.selectFrom('case_cwes').select('cwe_id').where('case_id', '=', caseId).execute(),
  history: (await ctx.deps.db.selectFrom('case_history').select('id').where('case_id', '=', caseId).execute()).length,
});
const caseStateOf = (ctx: TestContext, caseId: string) => () =>
  ctx.deps.db.selectFrom('cases').select(['state', 'updated_at']).where('id', '=', caseId).executeTakeFirstOrThrow();
const CRITICAL_31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const cvssForm: Record<string, string> = {
  version: '3.1',
  intent: 'save',
  reason: 'Remote code execution.',
  ...Object.fromEntries(
    CRITICAL_31.slice('CVSS:3.1/'.length)
      .split('/')
      .map((m) => [`m_${m.split(':')[0]}`, m.split(':')[1] ?? '']),
  ),
};
/** A case of `project` that already has CWE-79, for requests removing it. */
async function caseWithCwe(ctx: TestContext, project: Project): Promise<{ id: string; number: number }> {
  const c = await freshCase(ctx, project);
  const theCase = await requireCase(ctx.deps.db, project.id, c.number);
  await tx(ctx, (trx) => addCaseCwe(trx, ctx.deps, { ...by, theCase, cwe: 79 }));
  return c;
}
const jsonReq = (method: Req['method'], url: string, body: unknown, effect: () => Promise<unknown>): Req => ({
  method,
  url,
  ...(body === undefined ? {} : { body }),
  effect,
});

/** What a request about a case's affected versions may change. */
const affectedOfCase = (ctx: TestContext, caseId: string) => async () => ({
  branches: await ctx.deps.db
    .selectFrom('case_branches')
    .select(['branch_id', 'status', 'fixed_version'])
    .where('case_id', '=', caseId)
    .orderBy('branch_id')
    .execute(),
  packages: await ctx.deps.db
    .selectFrom('case_packages')
    .select('id')
    .where('case_id', '=', caseId)
    .orderBy('id')
    .execute(),
  ranges: (
    await ctx.deps.db
      .selectFrom('package_ranges')
      .innerJoin('case_packages', 'case_packages.id', 'package_ranges.package_id')
      .select('package_ranges.id')
      .where('case_packages.case_id', '=', caseId)
      .execute()
  ).length,
  history: (await ctx.deps.db.selectFrom('case_history').select('id').where('case_id', '=', caseId).execute()).length,
});
/** A fresh case of the project whose slug is in the URL (the own project in the mixed column). */
const freshCaseOf = async (ctx: TestContext, slug: string) => freshCase(ctx, await requireProject(ctx.deps.db, slug));
/** A case of `project` with an npm package that has one range. */
async function caseWithRange(
  ctx: TestContext,
  project: Project,
): Promise<{ id: string; number: number; packageId: string; rangeId: string }> {
  const c = await freshCase(ctx, project);
  const theCase = await requireCase(ctx.deps.db, project.id, c.number);
  const pkg = await tx(ctx, (trx) =>
    addPackage(trx, ctx.deps, {
      ...by,
      theCase,
      ecosystem: 'npm',
      name: `pkg-${unique()}`,
    }),
  );
  const range = await tx(ctx, (trx) =>
    addRange(trx, ctx.deps, {
      ...by,
      theCase,
      packageId: pkg.id,
      introduced: '0',
      fixed: '1.0.1',
    }),
  );
  return { ...c, packageId: pkg.id, rangeId: range.id };
}

const MATRIX_PATCH = '--- a/src/parse.c\n+++ b/src/parse.c\n@@ -1 +1,2 @@\n int parse(void);\n+/* bounds */\n';

/**
 * A case of `project` opened just now, with a branch and a patch for it uploaded by the system (no
 * account: any member may approve it).
 */
async function casePatch(
  ctx: TestContext,
  project: Project,
): Promise<{ id: string; number: number; branchId: string; patchId: string }> {
  const c = await freshCase(ctx, project);
  const branch = await freshBranch(ctx, project);
  const theCase = { id: c.id, projectId: project.id, number: c.number };
  const patch = await tx(ctx, (trx) =>
    uploadPatch(trx, ctx.deps, {
      ...by,
      theCase,
      branchId: branch.id,
      filename: 'fix.patch',
      content: MATRIX_PATCH,
    }),
  );
  return { ...c, branchId: branch.id, patchId: patch.id };
}
/** What an upload may change: the case's patches and their statuses. */
const patchesOfCase = (ctx: TestContext, caseId: string) => () =>
  ctx.deps.db.selectFrom('patches').select(['id', 'status']).where('case_id', '=', caseId).orderBy('id').execute();
/** What a review may change: the patch's status and its reviews. */
const reviewsOfPatch = (ctx: TestContext, patchId: string) => async () => ({
  status: (await ctx.deps.db.selectFrom('patches').select('status').where('id', '=', patchId).executeTakeFirst())
    ?.status,
  reviews: (await ctx.deps.db.selectFrom('patch_reviews').select('id').where('patch_id', '=', patchId).execute())
    .length,
});

/** What a Fix Team request may change: the case's lead, state, team and history. */
const teamOfCase = (ctx: TestContext, caseId: string) => async () => ({
  theCase: await ctx.deps.db
    .selectFrom('cases')
    .select(['fix_lead_id', 'owner_id', 'state'])
    .where('id', '=', caseId)
    .executeTakeFirstOrThrow(),
  team: (await ctx.deps.db.selectFrom('case_team').select('user_id').where('case_id', '=', caseId).execute())
    .map((r) => r.user_id)
    .sort(),
  history: (await ctx.deps.db.selectFrom('case_history').select('id').where('case_id', '=', caseId).execute()).length,
});
/** A fresh case of `project` with a fresh member on its Fix Team, for requests removing them. */
async function caseWithTeamMember(
  ctx: TestContext,
  project: Project,
): Promise<{ id: string; number: number; memberId: string }> {
  const c = await freshCase(ctx, project);
  const member = await account(ctx, project);
  await tx(ctx, (trx) =>
    addTeamMember(trx, ctx.deps, { ...by, theCase: { id: c.id, projectId: project.id }, userId: member.id }),
  );
  return { ...c, memberId: member.id };
}

//
// ('case.collaborators.manage' is members only; none of the matrix's actors is a collaborator: what a
// collaborator may reach on every project route is test/policies/collaborator-matrix.test.ts.)
// Applied to a scratch copy with the routes registered, every cell of these rows ran green on SQLite
// and PostgreSQL.

/** What a collaborator request may change: the case's grants and their revocations. */
const grantsOfCase = (ctx: TestContext, caseId: string) => () =>
  ctx.deps.db
    .selectFrom('case_collaborators')
    .select(['id', 'revoked_at'])
    .where('case_id', '=', caseId)
    .orderBy('id')
    .execute();
/** A fresh case of `project` with one live collaborator, for requests revoking that grant. */
async function caseWithCollaborator(
  ctx: TestContext,
  project: Project,
): Promise<{ id: string; number: number; grantId: string }> {
  const c = await freshCase(ctx, project);
  const theCase = await requireCase(ctx.deps.db, project.id, c.number);
  const { collaborator } = await tx(ctx, (trx) =>
    inviteCollaborator(trx, ctx.deps, { ...by, theCase, email: `collab-${unique()}@example.net` }),
  );
  return { ...c, grantId: collaborator.id };
}

/**
 * project.webhooks.manage: the project's admins only. A webhook sends case events out of Embargo
 * and its secret is shown to whoever adds it: instance admins are told no, like intakeManagers.
 */
const webhookManagers: Expectations = {
  anonymous: 'login',
  reporterOfThisReport: 'login',
  reporterOfAnotherReport: 'login',
  userWithoutMembership: 'forbidden',
  instanceAdminNotMember: 'forbidden',
  securityMemberHere: 'forbidden',
  adminHere: ['ok', 'forbidden'],
  adminOfAnotherProject: ['forbidden', 'ok'],
};

const freshWebhook = async (ctx: TestContext, project: Project) =>
  (
    await tx(ctx, (trx) =>
      addWebhook(trx, ctx.deps, {
        by,
        projectId: project.id,
        url: `https://203.0.113.7/hook/${unique()}`,
      }),
    )
  ).webhook;
/** The webhook and how many deliveries it has: a ping adds one, a removal takes both away. */
const webhookState = (ctx: TestContext, id: string) => async () => ({
  webhook: await ctx.deps.db.selectFrom('webhooks').select('id').where('id', '=', id).executeTakeFirst(),
  deliveries: (await ctx.deps.db.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', id).execute())
    .length,
});

//
// Each request gets a fresh case. Routes registered (see report): caseEmbargoPages, embargoCalendarPages,
// caseEmbargoApi.

/** What an embargo request may change: the embargo row (state, timeline), its revisions and the case's state. */
const embargoOfCase = (ctx: TestContext, caseId: string) => async () => ({
  embargo: await ctx.deps.db.selectFrom('embargoes').selectAll().where('case_id', '=', caseId).executeTakeFirst(),
  revisions: (await ctx.deps.db.selectFrom('embargo_revisions').select('id').where('case_id', '=', caseId).execute())
    .length,
  state: (await ctx.deps.db.selectFrom('cases').select('state').where('id', '=', caseId).executeTakeFirstOrThrow())
    .state,
});
/**
 * A fresh case of `project` brought to fix_in_progress or fix_ready, with an embargo proposed at its
 * default slot when `embargo` is set; returns the planned release as a datetime-local value a day later,
 * for a revision.
 */
async function caseForEmbargo(
  ctx: TestContext,
  project: Project,
  state: 'fix_in_progress' | 'fix_ready',
  embargo = false,
): Promise<{ id: string; number: number; dayLater: string }> {
  const c = await freshCase(ctx, project);
  const theCase = { id: c.id, projectId: project.id };
  await tx(ctx, (trx) => transitionCase(trx, ctx.deps, { ...by, theCase, action: 'start_fix' }));
  if (state === 'fix_ready') {
    await tx(ctx, (trx) => transitionCase(trx, ctx.deps, { ...by, theCase, action: 'fix_ready' }));
  }
  // Activation needs the advisory's summary.
  await tx(ctx, (trx) =>
    saveAdvisoryDraft(trx, ctx.deps, { ...by, theCase, text: { ...emptyAdvisoryText, summary: 'Matrix advisory' } }),
  );
  let dayLater = '';
  if (embargo) {
    const planned = await tx(ctx, (trx) => proposeEmbargo(trx, ctx.deps, { ...by, theCase }));
    dayLater = new Date(new Date(planned.releaseAt).getTime() + 86_400_000).toISOString().slice(0, 16);
  }
  return { ...c, dayLater };
}

/**
 * project.embargo-policy.manage, project.distributors.manage, project.lists.manage and
 * project.announcements.manage: the project's admins only. Instance admins are told no, like
 * webhookManagers: a distributor or a list reaches outside Embargo under the project's name.
 */
const disclosureManagers: Expectations = { ...webhookManagers };
/**
 * distributor.notice.read and distributor.terms.accept: the live contacts of that distributor. None
 * of the matrix's actors is one: to every account the notice or the terms do not exist.
 */
const distributorContacts: Expectations = {
  anonymous: 'login',
  reporterOfThisReport: 'login',
  reporterOfAnotherReport: 'login',
  userWithoutMembership: 'hidden',
  instanceAdminNotMember: 'hidden',
  securityMemberHere: 'hidden',
  adminHere: 'hidden',
  adminOfAnotherProject: 'hidden',
};

/** The project's embargo policy in effect, as JSON: what a policy request may change. */
const embargoPolicyOf = (ctx: TestContext, project: Project) => async () =>
  JSON.stringify(await getStoredEmbargoPolicy(ctx.deps.db, project.id));
/** A whole valid embargo policy that differs from the one in effect: the retrospective a day later. */
async function nextEmbargoPolicy(ctx: TestContext, project: Project): Promise<EmbargoPolicy> {
  const { policy } = await getStoredEmbargoPolicy(ctx.deps.db, project.id);
  return { ...policy, retrospectiveDays: (policy.retrospectiveDays + 1) % 91 };
}
/** The settings form for `policy`, named as the page names its inputs. */
function embargoPolicyForm(policy: EmbargoPolicy): Record<string, string> {
  const { releaseWeekdays, ...counts } = policy;
  return {
    ...Object.fromEntries(Object.entries(counts).map(([name, n]) => [name, String(n)])),
    ...Object.fromEntries(releaseWeekdays.map((day) => [`releaseWeekdays.${day}`, '1'])),
  };
}
/** Gives the project an embargo policy of its own, so that a reset has something to undo. */
const withOwnEmbargoPolicy = async (ctx: TestContext, project: Project) => {
  const policy = await nextEmbargoPolicy(ctx, project);
  await tx(ctx, (trx) => updateEmbargoPolicy(trx, ctx.deps, { by, projectId: project.id, policy }));
};

/** A distributor of `project` with one contact (a fresh address) that has not accepted the terms. */
async function freshDistributor(ctx: TestContext, project: Project): Promise<Distributor> {
  const email = `contact-${unique()}@distro.example`;
  const made = await makeDistributor(ctx, project, { contacts: [{ email }], accepted: false });
  // Read again: makeDistributor answers the distributor as it was before its contacts were added.
  return requireDistributor(ctx.deps.db, project.id, made.id);
}
/** The distributor's row, contacts and acceptances: what a distributor request may change. */
const distributorState = (ctx: TestContext, id: string) => async () => ({
  removedAt: (
    await ctx.deps.db.selectFrom('distributors').select('removed_at').where('id', '=', id).executeTakeFirstOrThrow()
  ).removed_at,
  contacts: await ctx.deps.db
    .selectFrom('distributor_contacts')
    .select(['id', 'removed_at'])
    .where('distributor_id', '=', id)
    .orderBy('id')
    .execute(),
  acceptances: (
    await ctx.deps.db.selectFrom('distributor_acceptances').select('id').where('distributor_id', '=', id).execute()
  ).length,
});
/**
 * New terms, which no distributor has accepted: a distributor made next is then the only one a
 * notice goes to (the distributors earlier rows left behind would otherwise be sent every notice).
 */
async function newTerms(ctx: TestContext, project: Project): Promise<void> {
  const { criteria } = await getProgram(ctx.deps.db, project.id);
  const terms = `The embargo terms, version of ${unique()}.`;
  await tx(ctx, (trx) => updateProgram(trx, ctx.deps, { by, projectId: project.id, criteria, terms }));
}

/** A fresh case of `project` whose advisory draft has `summary`, for reads of the embargoed draft. */
async function caseWithDraft(
  ctx: TestContext,
  project: Project,
  summary: string,
): Promise<{ id: string; number: number }> {
  const c = await freshCase(ctx, project);
  const theCase = { id: c.id, projectId: project.id };
  await tx(ctx, (trx) => saveAdvisoryDraft(trx, ctx.deps, { ...by, theCase, text: { ...emptyAdvisoryText, summary } }));
  return c;
}
const advisoryOf = (ctx: TestContext, caseId: string) => () =>
  ctx.deps.db.selectFrom('advisories').selectAll().where('case_id', '=', caseId).executeTakeFirst();
/** A fresh case of `project` at fix_ready with its embargo in force (state scheduled). */
async function scheduledCase(ctx: TestContext, project: Project): Promise<{ id: string; number: number }> {
  const c = await caseForEmbargo(ctx, project, 'fix_ready', true);
  await tx(ctx, (trx) => activateEmbargo(trx, ctx.deps, { ...by, theCase: { id: c.id, projectId: project.id } }));
  return c;
}
/** A fresh case of `project` at fix_ready, with an advisory summary, whose embargo broke (it has none yet). */
async function brokenCase(ctx: TestContext, project: Project): Promise<{ id: string; number: number }> {
  const c = await caseForEmbargo(ctx, project, 'fix_ready');
  const theCase = { id: c.id, projectId: project.id };
  await tx(ctx, (trx) =>
    transitionCase(trx, ctx.deps, { ...by, theCase, action: 'break_embargo', reason: 'Seen on a public list.' }),
  );
  return c;
}
/**
 * A scheduled case of `project` whose distributor notice is done (marked as the timeline's step
 * marks it: the clock of the matrix does not move), and a distributor that accepted the terms after it.
 */
async function caseToldDistributors(ctx: TestContext, project: Project): Promise<{ id: string; number: number }> {
  const c = await scheduledCase(ctx, project);
  await ctx.deps.db
    .updateTable('embargoes')
    .set({ distributor_notice_done_at: iso(ctx.clock.now()) })
    .where('case_id', '=', c.id)
    .execute();
  await newTerms(ctx, project);
  await makeDistributor(ctx, project);
  return c;
}
const noticesOfCase = (ctx: TestContext, caseId: string) => () =>
  ctx.deps.db
    .selectFrom('distributor_notices')
    .select(['id', 'distributor_id'])
    .where('case_id', '=', caseId)
    .orderBy('id')
    .execute();
/** A fresh case of `project` with a drafted retrospective whose text is `body`. */
async function caseWithRetrospective(
  ctx: TestContext,
  project: Project,
  body: string,
): Promise<{ id: string; number: number }> {
  const c = await freshCase(ctx, project);
  const at = iso(ctx.clock.now());
  await ctx.deps.db
    .insertInto('retrospectives')
    .values({ case_id: c.id, project_id: project.id, body, drafted_at: at, updated_at: at, updated_by: null })
    .execute();
  return c;
}
const retrospectiveOf = (ctx: TestContext, caseId: string) => () =>
  ctx.deps.db.selectFrom('retrospectives').select('body').where('case_id', '=', caseId).executeTakeFirst();

/**
 * A notice of a fresh case of `project` (advisory summary `summary`, one approved patch) sent to a
 * fresh distributor with one contact; with the patch and the contact's acknowledgement link.
 */
async function freshNotice(
  ctx: TestContext,
  project: Project,
  summary: string,
): Promise<{ noticeId: string; patchId: string; recipientId: string; ackToken: string }> {
  const p = await casePatch(ctx, project);
  const theCase = await requireCase(ctx.deps.db, project.id, p.number);
  await tx(ctx, (trx) => reviewPatch(trx, ctx.deps, { ...by, theCase, patchId: p.patchId, verdict: 'approve' }));
  await tx(ctx, (trx) => saveAdvisoryDraft(trx, ctx.deps, { ...by, theCase, text: { ...emptyAdvisoryText, summary } }));
  await newTerms(ctx, project);
  const email = `contact-${unique()}@distro.example`;
  await makeDistributor(ctx, project, { contacts: [{ email }] });
  const releaseAt = iso(new Date(ctx.clock.now().getTime() + 7 * 86_400_000));
  await tx(ctx, (trx) => notifyDistributors(trx, ctx.deps, { ...by, theCase, releaseAt }));
  const recipient = await ctx.deps.db
    .selectFrom('distributor_recipients')
    .select(['id', 'notice_id'])
    .where('email', '=', email)
    .executeTakeFirstOrThrow();
  // The link is in the queued mail only (the recipient row keeps its hash).
  const mail = await ctx.deps.db
    .selectFrom('outbound_emails')
    .select('text_body')
    .where('to_address', '=', email)
    .where('template', '=', 'distributor-notice')
    .executeTakeFirstOrThrow();
  const ackToken = /\/distributor\/ack\/([A-Za-z0-9_-]+)/.exec(mail.text_body)?.[1] ?? '';
  return { noticeId: recipient.notice_id, patchId: p.patchId, recipientId: recipient.id, ackToken };
}
/** What an acknowledgement may change: when each recipient of the notice acknowledged, and how. */
const acksOfNotice = (ctx: TestContext, noticeId: string) => () =>
  ctx.deps.db
    .selectFrom('distributor_recipients')
    .select(['id', 'acknowledged_at', 'acknowledged_by'])
    .where('notice_id', '=', noticeId)
    .orderBy('id')
    .execute();

/** A mailing list of `project`, with one confirmed subscriber when `subscriber` is given. */
const freshList = (ctx: TestContext, project: Project, subscriber?: string) =>
  makeList(ctx, project, { name: `list-${unique()}`, subscribers: subscriber ? [subscriber] : [] });
/** What a subscription request may change: the list's subscriptions and their states. */
const subscriptionsOf = (ctx: TestContext, listId: string) => () =>
  ctx.deps.db
    .selectFrom('list_subscriptions')
    .select(['id', 'email', 'status', 'confirmed_at', 'unsubscribed_at'])
    .where('list_id', '=', listId)
    .orderBy('id')
    .execute();
/** A pending subscription to a fresh list of `project`, and the token of its confirmation link (from the queued mail). */
async function pendingSubscription(ctx: TestContext, project: Project): Promise<{ listId: string; token: string }> {
  const list = await freshList(ctx, project);
  const email = `subscriber-${unique()}@users.example`;
  await tx(ctx, (trx) => requestSubscription(trx, ctx.deps, { project, listIds: [list.id], email, ip: null }));
  const mail = await ctx.deps.db
    .selectFrom('outbound_emails')
    .select('text_body')
    .where('to_address', '=', email)
    .where('template', '=', 'list-confirm')
    .executeTakeFirstOrThrow();
  const token = /\/lists\/confirm\/([A-Za-z0-9_-]+)/.exec(mail.text_body)?.[1] ?? '';
  return { listId: list.id, token };
}
/** A confirmed subscription to a fresh list of `project`, and the token of its unsubscribe link. */
async function confirmedSubscription(
  ctx: TestContext,
  project: Project,
): Promise<{ listId: string; subscriptionId: string; token: string }> {
  const list = await freshList(ctx, project, `subscriber-${unique()}@users.example`);
  const { id } = await ctx.deps.db
    .selectFrom('list_subscriptions')
    .select('id')
    .where('list_id', '=', list.id)
    .executeTakeFirstOrThrow();
  return { listId: list.id, subscriptionId: id, token: unsubscribeToken(ctx.deps.secret, id) };
}

/** The project's wording of the `update` announcement, or undefined for the built-in one. */
const updateTemplateOf = (ctx: TestContext, project: Project) => () =>
  ctx.deps.db
    .selectFrom('announcement_templates')
    .select(['subject', 'body'])
    .where('project_id', '=', project.id)
    .where('kind', '=', 'update')
    .executeTakeFirst();
/** A wording of the `update` announcement no earlier request stored. */
const freshUpdateTemplate = () => ({
  subject: `{{project}}: the release moves (${unique()})`,
  body: 'The fix is now planned for {{releaseAt}}.',
});

/** An announcement of a fresh case of `project`, published. */
async function publishedAnnouncement(ctx: TestContext, project: Project): Promise<string> {
  const c = await freshCase(ctx, project);
  const announcement = await tx(ctx, (trx) =>
    publishAnnouncement(trx, ctx.deps, {
      projectId: project.id,
      caseId: c.id,
      kind: 'release',
      dedupeKey: 'release',
      subject: 'Matrix security release',
      body: 'Upgrade.',
    }),
  );
  return announcement.id;
}
/** Distinct CVE ids for the requests that name one: an id is never in two pools, nor on two cases. */
let cveSequence = 100_000 + crypto.randomInt(800_000);
const freshCveId = (ctx: TestContext) => `CVE-${ctx.clock.now().getUTCFullYear()}-${cveSequence++}`;

/**
 * A fresh case of `project` whose advisory is published, its embargo lifted as the go lifts it; with
 * a CVE id (recorded as requested elsewhere) when `cve` is set, so that its CVE record exists.
 */
async function publishedCase(
  ctx: TestContext,
  project: Project,
  cve = false,
): Promise<{ id: string; number: number; publicId: string }> {
  const c = await caseWithDraft(ctx, project, 'Matrix published advisory');
  const advisory = await tx(ctx, async (trx) => {
    const theCase = await requireCase(trx, project.id, c.number);
    if (cve) {
      await recordRequestedCve(trx, ctx.deps, { ...by, theCase, requestedFrom: 'MITRE', cveId: freshCveId(ctx) });
    }
    const published = await publishAdvisory(trx, ctx.deps, { theCase, projectSlug: project.slug });
    await setCaseEmbargoed(trx, c.id, false);
    return published;
  });
  return { ...c, publicId: advisory.publicId ?? '' };
}
/** The public id of the published advisory of a fresh case of `project`. */
const publishedAdvisory = async (ctx: TestContext, project: Project, cve = false): Promise<string> =>
  (await publishedCase(ctx, project, cve)).publicId;
/** The path of the CSAF document of a fresh published advisory of `project`, as its public record links it. */
async function csafDocumentPath(ctx: TestContext, project: Project): Promise<string> {
  const record = await requirePublicRecord(ctx.deps.db, project.id, await publishedAdvisory(ctx, project));
  return new URL(record.links.csaf).pathname;
}

/** The settings of a CNA project: the CVE rows assign ids from its pool. */
const CNA_SETTINGS: Omit<SecuritySettings, 'updatedAt'> = {
  publisherName: null,
  cveSource: 'cna',
  cveRequestFrom: null,
  bountyText: null,
  bountyUrl: null,
  securityTxtDays: 180,
};
/** A fresh id in the pool of `project`, made a CNA first if it is not one (a settings row may have changed it). */
async function pooledCveId(ctx: TestContext, project: Project): Promise<string> {
  const cveId = freshCveId(ctx);
  await tx(ctx, async (trx) => {
    if ((await getSecuritySettings(trx, project.id)).cveSource !== 'cna') {
      await updateSecuritySettings(trx, ctx.deps, { ...by, projectId: project.id, settings: CNA_SETTINGS });
    }
    await addToPool(trx, ctx.deps, { ...by, projectId: project.id, cveIds: [cveId], source: 'manual' });
  });
  return cveId;
}
/** A fresh case of `project` holding a CVE id of its pool, for requests taking it off. */
async function caseWithCve(ctx: TestContext, project: Project): Promise<{ id: string; number: number }> {
  const c = await freshCase(ctx, project);
  const cveId = await pooledCveId(ctx, project);
  await tx(ctx, async (trx) =>
    assignCveId(trx, ctx.deps, { ...by, theCase: await requireCase(trx, project.id, c.number), cveId }),
  );
  return c;
}
/** What a pool request may change: the project's CVE ids, their states and cases. */
const poolOf = (ctx: TestContext, project: Project) => () =>
  ctx.deps.db
    .selectFrom('cve_ids')
    .select(['cve_id', 'state', 'case_id'])
    .where('project_id', '=', project.id)
    .orderBy('cve_id')
    .execute();
/** The project's security settings in effect, as JSON: what a settings request may change. */
const securitySettingsOf = (ctx: TestContext, project: Project) => async () =>
  JSON.stringify(await getSecuritySettings(ctx.deps.db, project.id));
/** Settings that differ from those in effect (the security.txt lifetime); the project stays a CNA. */
async function nextSecuritySettings(ctx: TestContext, project: Project): Promise<Omit<SecuritySettings, 'updatedAt'>> {
  const { securityTxtDays } = await getSecuritySettings(ctx.deps.db, project.id);
  return { ...CNA_SETTINGS, publisherName: 'Matrix Publisher', securityTxtDays: (securityTxtDays % 364) + 1 };
}
const securityForm = (settings: Omit<SecuritySettings, 'updatedAt'>): Record<string, string> =>
  Object.fromEntries(Object.entries(settings).map(([name, value]) => [name, value === null ? '' : String(value)]));

/** A small upstream OSV record with an id of its own. */
const osvRecord = () => ({
  schema_version: '1.6.0',
  id: `MATRIX-${unique()}`,
  modified: '2026-02-01T00:00:00Z',
  summary: 'Upstream overflow in the parser',
  details: 'A crafted document overflows a buffer.',
  affected: [
    {
      package: { ecosystem: 'npm', name: `upstream-${unique()}` },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.1' }] }],
    },
  ],
});
/** The number of a case of `project` opened from an upstream OSV record. */
async function importedCase(ctx: TestContext, project: Project): Promise<number> {
  const imported = readOsv(osvRecord());
  const { theCase } = await tx(ctx, (trx) => importAdvisory(trx, ctx.deps, { ...by, project, imported }));
  return theCase.number;
}
const caseCount = (ctx: TestContext, slug: string) => async () =>
  (
    await ctx.deps.db
      .selectFrom('cases')
      .innerJoin('projects', 'projects.id', 'cases.project_id')
      .select('cases.id')
      .where('projects.slug', '=', slug)
      .execute()
  ).length;
/** A revision's form: the text fields as the advisory page names them, and what changed. */
const revisionForm = (): Record<string, string> => ({
  revisionSummary: `Corrected the fixed version (${unique()}).`,
  summary: 'Matrix published advisory',
  ...Object.fromEntries(ADVISORY_PROSE_FIELDS.map((f) => [f, `The ${f}, revised.`])),
  aliases: '',
  related: '',
  references: '',
  cveId: '',
});

/** The record every matrix finding is about: matrix-pkg below 2.0.0. */
const MATRIX_VULN = {
  schema_version: '1.6.0',
  id: 'MATRIX-DEPS-1',
  modified: '2026-02-01T00:00:00Z',
  summary: 'Overflow in matrix-pkg',
  affected: [
    {
      package: { ecosystem: 'npm', name: 'matrix-pkg' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }],
    },
  ],
};
/** A package-lock.json installing matrix-pkg at 1.0.0. */
const matrixLockfile = () =>
  JSON.stringify({
    lockfileVersion: 3,
    packages: { '': { name: 'app' }, 'node_modules/matrix-pkg': { version: '1.0.0' } },
  });
/** A fresh branch of `project` with a registered lockfile, and so a finding. */
async function branchWithInventory(ctx: TestContext, project: Project) {
  const branch = await freshBranch(ctx, project);
  await tx(ctx, async (trx) => {
    await importOsvRecords(trx, ctx.deps, recordsFromFile('matrix.json', Buffer.from(JSON.stringify(MATRIX_VULN))));
    const lockfile = { name: 'package-lock.json', format: 'package-lock.json', text: matrixLockfile() };
    return registerInventory(trx, ctx.deps, { ...by, projectId: project.id, branchId: branch.id, ...lockfile });
  });
  return branch;
}
const inventoriesOf = (ctx: TestContext, branchId: string) => () =>
  ctx.deps.db.selectFrom('inventories').select(['id', 'sha256']).where('branch_id', '=', branchId).execute();
/** A new finding of `project` (on a branch of its own). */
async function freshFinding(ctx: TestContext, project: Project): Promise<string> {
  const branch = await branchWithInventory(ctx, project);
  const row = await ctx.deps.db
    .selectFrom('findings')
    .select('id')
    .where('branch_id', '=', branch.id)
    .executeTakeFirstOrThrow();
  return row.id;
}
const findingOf = (ctx: TestContext, id: string) => () =>
  ctx.deps.db.selectFrom('findings').select(['state', 'note', 'updated_at']).where('id', '=', id).executeTakeFirst();

/**
 * An outside dependent's registration requested through the service (as the public form does), and
 * the token of its confirmation link read from the queued mail; confirmed when asked, with its manage
 * token then. A fresh address each time: the per-address limit is tested elsewhere.
 */
async function dependentRegistration(
  ctx: TestContext,
  confirm: boolean,
): Promise<{ id: string; confirmToken: string; manageToken: string; registrationId: string }> {
  const email = `dependent-${unique()}@users.example`;
  const inventory = { kind: 'purls' as const, text: `pkg:npm/matrix-dep-${unique()}@1.0.0` };
  await tx(ctx, (trx) => requestDependentSubscription(trx, ctx.deps, { name: 'Matrix', email, inventory, ip: null }));
  const mail = await ctx.deps.db
    .selectFrom('outbound_emails')
    .select('text_body')
    .where('to_address', '=', email)
    .where('template', '=', 'dependent-confirm')
    .executeTakeFirstOrThrow();
  const confirmToken = /\/dependents\/confirm\/([A-Za-z0-9_-]+)/.exec(mail.text_body)?.[1] ?? '';
  const row = await ctx.deps.db
    .selectFrom('dependents')
    .select('id')
    .where('email', '=', email)
    .executeTakeFirstOrThrow();
  const registration = await ctx.deps.db
    .selectFrom('inventories')
    .select('id')
    .where('dependent_id', '=', row.id)
    .executeTakeFirstOrThrow();
  const manageToken = confirm
    ? (await tx(ctx, (trx) => confirmDependent(trx, ctx.deps, { token: confirmToken, origin: noOrigin }))).manageToken
    : '';
  return { id: row.id, confirmToken, manageToken, registrationId: registration.id };
}
/** What a request about a dependent may change: its state and its registrations. */
const dependentOf = (ctx: TestContext, id: string) => async () => ({
  dependent: await ctx.deps.db
    .selectFrom('dependents')
    .select(['status', 'confirmed_at', 'unsubscribed_at'])
    .where('id', '=', id)
    .executeTakeFirst(),
  registrations: await ctx.deps.db
    .selectFrom('inventories')
    .select(['id', 'sha256'])
    .where('dependent_id', '=', id)
    .orderBy('id')
    .execute(),
});
/** The registrations of `project` as a dependent (project.dependents.manage). */
const projectDependentsOf = (ctx: TestContext, project: Project) => () =>
  ctx.deps.db
    .selectFrom('inventories')
    .innerJoin('dependents', 'dependents.id', 'inventories.dependent_id')
    .select(['inventories.id', 'inventories.sha256'])
    .where('dependents.project_id', '=', project.id)
    .orderBy('inventories.id')
    .execute();
/** A registration of `project` as a dependent, for a request removing it. */
const projectDependency = (ctx: TestContext, project: Project) =>
  tx(ctx, (trx) =>
    registerProjectDependency(trx, ctx.deps, {
      by,
      project,
      inventory: { kind: 'purls', text: `pkg:npm/matrix-dep-${unique()}@1.0.0` },
    }),
  );

// --- The matrix: one row per route ------------------------------------------------------------------

/** Each report action form, and the state a fresh report is brought to so that the action is allowed. */
const TRIAGE: { name: string; form: Record<string, string>; from?: 'needs_info' | 'closed' }[] = [
  { name: 'acknowledge', form: { message: 'Thanks.' } },
  { name: 'request-info', form: { message: 'Which version?' } },
  { name: 'resume', form: {}, from: 'needs_info' },
  { name: 'accept', form: {} },
  { name: 'close', form: { reason: 'informative' } },
  { name: 'reopen', form: { reason: 'New evidence.' }, from: 'closed' },
  { name: 'message', form: { message: 'Hello.' } },
  { name: 'note', form: { body: 'Looks real.' } },
];

const rows: Row[] = [
  // Public.
  { route: 'GET /assets/:file', scope: 'instance', expect: everyone, build: () => get('/assets/app.css') },
  { route: 'GET /healthz', scope: 'instance', expect: everyone, build: () => get('/healthz') },
  { route: 'GET /api/openapi.json', scope: 'instance', expect: everyone, build: () => get('/api/openapi.json') },
  {
    route: 'GET /api/v1/cvss',
    scope: 'instance',
    expect: everyone,
    build: () => get(`/api/v1/cvss?vector=${encodeURIComponent(CRITICAL_31)}`),
  },
  { route: 'GET /api/v1/cwe', scope: 'instance', expect: everyone, build: () => get('/api/v1/cwe?q=xss') },
  { route: 'GET /', scope: 'instance', expect: everyone, build: () => get('/') },
  { route: 'GET /status', scope: 'instance', expect: everyone, build: () => get('/status') },
  { route: 'GET /login', scope: 'instance', expect: everyone, build: () => get('/login') },
  {
    route: 'POST /login',
    scope: 'instance',
    expect: everyone,
    ownSession: true,
    build: async ({ ctx }) => {
      const user = await makeUser(ctx.deps.db, ctx.clock);
      const sessions = async () =>
        (await ctx.deps.db.selectFrom('sessions').select('id_hash').where('user_id', '=', user.id).execute()).length;
      return post('/login', { email: user.email, password: TEST_PASSWORD }, sessions);
    },
  },
  { route: 'POST /logout', scope: 'instance', expect: everyone, ownSession: true, build: () => post('/logout', {}) },
  // A setup link is a credential of its own: every actor here holds a live one.
  {
    route: 'GET /setup/:token',
    scope: 'instance',
    expect: everyone,
    build: async ({ ctx }) => get(`/setup/${(await invitee(ctx)).token}`),
  },
  {
    route: 'POST /setup/:token',
    scope: 'instance',
    expect: everyone,
    build: async ({ ctx }) => {
      const { user, token } = await invitee(ctx);
      return post(`/setup/${token}`, { password: 'a long enough passphrase' }, userRow(ctx, user.id));
    },
  },
  { route: 'GET /p/:slug/report', scope: 'project', expect: everyone, build: (t) => get(`/p/${t.slug}/report`) },
  {
    route: 'POST /p/:slug/report',
    scope: 'project',
    expect: everyone,
    build: ({ ctx, slug }) =>
      post(`/p/${slug}/report`, { title: 'Crash', description: 'It crashes.' }, reportCount(ctx, slug)),
  },
  {
    route: 'POST /api/v1/projects/:slug/reports',
    scope: 'project',
    expect: everyone,
    build: ({ ctx, slug }) =>
      post(`/api/v1/projects/${slug}/reports`, { title: 'Crash', description: 'It crashes.' }, reportCount(ctx, slug)),
  },

  // Any account.
  { route: 'GET /projects', scope: 'instance', expect: anyAccount, build: () => get('/projects') },
  // Personal API tokens: every account, for its own tokens only (account.tokens.manage).
  { route: 'GET /account/tokens', scope: 'instance', expect: anyAccount, build: () => get('/account/tokens') },
  {
    route: 'POST /account/tokens',
    scope: 'instance',
    expect: anyAccount,
    build: ({ ctx }) => {
      const name = `matrix-${unique()}`;
      return post('/account/tokens', { name, expiresIn: '30' }, apiTokenNamed(ctx, name));
    },
  },
  {
    // An account revokes its own token (the runner passes the acting account as `user`). The
    // anonymous and reporters aim at a stranger's token, which must stay live. Someone else's id
    // answering 404 is tested in test/http/api-tokens.test.ts (it does not fit a column here).
    route: 'POST /account/tokens/:id/revoke',
    scope: 'instance',
    expect: anyAccount,
    build: async ({ ctx, user }) => {
      const { id } = await apiTokenOf(ctx, user ?? (await account(ctx)));
      return post(`/account/tokens/${id}/revoke`, {}, apiTokenRevokedAt(ctx, id));
    },
  },

  // Instance administration.
  { route: 'GET /admin', scope: 'instance', expect: instanceAdmins, build: () => get('/admin') },
  { route: 'GET /admin/users', scope: 'instance', expect: instanceAdmins, build: () => get('/admin/users') },
  {
    route: 'POST /admin/users',
    scope: 'instance',
    expect: instanceAdmins,
    build: ({ ctx }) => {
      const email = `new-${unique()}@example.org`;
      const found = () => ctx.deps.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
      return post('/admin/users', { email, name: 'New Person' }, found);
    },
  },
  {
    route: 'POST /admin/users/:id/disable',
    scope: 'instance',
    expect: instanceAdmins,
    build: async ({ ctx }) => {
      const user = await account(ctx);
      return post(`/admin/users/${user.id}/disable`, {}, userRow(ctx, user.id));
    },
  },
  {
    route: 'POST /admin/users/:id/enable',
    scope: 'instance',
    expect: instanceAdmins,
    build: async ({ ctx }) => {
      const user = await account(ctx);
      await ctx.deps.db.updateTable('users').set({ disabled: 1 }).where('id', '=', user.id).execute();
      return post(`/admin/users/${user.id}/enable`, {}, userRow(ctx, user.id));
    },
  },
  {
    route: 'POST /admin/users/:id/instance-admin',
    scope: 'instance',
    expect: instanceAdmins,
    build: async ({ ctx }) => {
      const user = await account(ctx);
      return post(`/admin/users/${user.id}/instance-admin`, { grant: '1' }, userRow(ctx, user.id));
    },
  },
  {
    route: 'POST /admin/users/:id/setup-link',
    scope: 'instance',
    expect: instanceAdmins,
    build: async ({ ctx }) => {
      const { user } = await invitee(ctx);
      const links = () =>
        ctx.deps.db.selectFrom('password_tokens').select('token_hash').where('user_id', '=', user.id).execute();
      return post(`/admin/users/${user.id}/setup-link`, {}, links);
    },
  },
  { route: 'GET /admin/projects', scope: 'instance', expect: instanceAdmins, build: () => get('/admin/projects') },
  {
    route: 'POST /admin/projects',
    scope: 'instance',
    expect: instanceAdmins,
    build: ({ ctx }) => {
      const slug = `made-${unique()}`;
      return post('/admin/projects', { name: 'Made Here', slug }, projectBySlug(ctx, slug));
    },
  },
  { route: 'GET /admin/mail', scope: 'instance', expect: instanceAdmins, build: () => get('/admin/mail') },
  // Instance admins see every email's headers; the body of a project's email only if they are members.
  {
    route: 'GET /admin/mail/:id',
    scope: 'project',
    expect: instanceAdmins,
    build: (t) => get(`/admin/mail/${t.site.mailId}`),
  },
  {
    route: 'POST /admin/mail/:id/retry',
    scope: 'project',
    expect: instanceAdmins,
    build: async ({ ctx, site }) => {
      const id = await tx(ctx, (trx) =>
        queueEmail(trx, ctx.deps, {
          to: 'bounce@example.net',
          projectId: site.project.id,
          reportId: null,
          email: { template: 'team-reporter-replied', projectName: 'P', trackingId: 'R-1', reportUrl: 'http://x/' },
        }),
      );
      await ctx.deps.db.updateTable('outbound_emails').set({ status: 'failed' }).where('id', '=', id).execute();
      const status = () =>
        ctx.deps.db.selectFrom('outbound_emails').select('status').where('id', '=', id).executeTakeFirst();
      return post(`/admin/mail/${id}/retry`, {}, status);
    },
  },

  // Project settings.
  {
    route: 'GET /p/:slug/settings',
    scope: 'project',
    expect: projectManagers,
    build: (t) => get(`/p/${t.slug}/settings`),
  },
  {
    route: 'POST /p/:slug/settings',
    scope: 'project',
    expect: projectManagers,
    build: ({ ctx, slug }) =>
      post(
        `/p/${slug}/settings`,
        { name: `Renamed ${unique()}`, repositoryUrl: '', securityContact: '', ackTargetHours: '48', ackTemplate: '' },
        projectBySlug(ctx, slug),
      ),
  },
  {
    route: 'GET /p/:slug/settings/branches',
    scope: 'project',
    expect: projectManagers,
    build: (t) => get(`/p/${t.slug}/settings/branches`),
  },
  {
    route: 'POST /p/:slug/settings/branches',
    scope: 'project',
    expect: projectManagers,
    build: ({ ctx, slug, site }) => {
      const name = `${unique()}.x`;
      const found = () =>
        ctx.deps.db
          .selectFrom('release_branches')
          .select('id')
          .where('project_id', '=', site.project.id)
          .where('name', '=', name)
          .executeTakeFirst();
      return post(`/p/${slug}/settings/branches`, { name, endOfSupport: '2027-06-30' }, found);
    },
  },
  {
    route: 'POST /p/:slug/settings/branches/:id',
    scope: 'project',
    mixed: true,
    expect: projectManagers,
    build: async ({ ctx, slug, site }) => {
      const branch = await freshBranch(ctx, site.project);
      const url = `/p/${slug}/settings/branches/${branch.id}`;
      return post(url, { endOfSupport: '2028-01-31' }, branchRow(ctx, branch.id));
    },
  },
  {
    route: 'POST /p/:slug/settings/branches/:id/remove',
    scope: 'project',
    mixed: true,
    expect: projectManagers,
    build: async ({ ctx, slug, site }) => {
      const branch = await freshBranch(ctx, site.project);
      return post(`/p/${slug}/settings/branches/${branch.id}/remove`, {}, branchRow(ctx, branch.id));
    },
  },
  {
    route: 'GET /p/:slug/settings/members',
    scope: 'project',
    expect: projectManagers,
    build: (t) => get(`/p/${t.slug}/settings/members`),
  },
  {
    route: 'POST /p/:slug/settings/members',
    scope: 'project',
    expect: memberManagers,
    build: async ({ ctx, slug, site }) => {
      const user = await signedUpAccount(ctx);
      const form = { email: user.email, role: 'security' };
      return post(`/p/${slug}/settings/members`, form, membership(ctx, site.project.id, user.id));
    },
  },
  {
    route: 'POST /p/:slug/settings/members/:userId/role',
    scope: 'project',
    mixed: true,
    expect: memberManagers,
    build: async ({ ctx, slug, site }) => {
      const user = await account(ctx, site.project);
      const url = `/p/${slug}/settings/members/${user.id}/role`;
      return post(url, { role: 'admin' }, membership(ctx, site.project.id, user.id));
    },
  },
  {
    route: 'POST /p/:slug/settings/members/:userId/remove',
    scope: 'project',
    mixed: true,
    expect: memberManagers,
    build: async ({ ctx, slug, site }) => {
      const user = await account(ctx, site.project);
      const url = `/p/${slug}/settings/members/${user.id}/remove`;
      return post(url, {}, membership(ctx, site.project.id, user.id));
    },
  },

  // A project's IMAP mailboxes.
  {
    route: 'GET /p/:slug/settings/imap',
    scope: 'project',
    expect: projectManagers,
    build: (t) => get(`/p/${t.slug}/settings/imap`),
  },
  {
    route: 'POST /p/:slug/settings/imap',
    scope: 'project',
    expect: projectManagers,
    build: ({ ctx, slug, site }) => {
      const username = `new-${unique()}`;
      const found = () =>
        ctx.deps.db
          .selectFrom('imap_accounts')
          .select('id')
          .where('project_id', '=', site.project.id)
          .where('username', '=', username)
          .executeTakeFirst();
      const form = { host: 'imap.example.org', port: '993', secure: '1', username, password: 'pw', mailbox: '' };
      return post(`/p/${slug}/settings/imap`, form, found);
    },
  },
  {
    route: 'POST /p/:slug/settings/imap/:id',
    scope: 'project',
    mixed: true,
    expect: projectManagers,
    build: async ({ ctx, slug, site }) => {
      const account = await freshImapAccount(ctx, site.project);
      const form = { host: '127.0.0.1', port: '1', username: account.username, password: '', mailbox: 'Other' };
      return post(`/p/${slug}/settings/imap/${account.id}`, form, imapRow(ctx, account.id));
    },
  },
  {
    route: 'POST /p/:slug/settings/imap/:id/enabled',
    scope: 'project',
    mixed: true,
    expect: projectManagers,
    build: async ({ ctx, slug, site }) => {
      const account = await freshImapAccount(ctx, site.project);
      return post(`/p/${slug}/settings/imap/${account.id}/enabled`, { enabled: '0' }, imapRow(ctx, account.id));
    },
  },
  {
    route: 'POST /p/:slug/settings/imap/:id/remove',
    scope: 'project',
    mixed: true,
    expect: projectManagers,
    build: async ({ ctx, slug, site }) => {
      const account = await freshImapAccount(ctx, site.project);
      return post(`/p/${slug}/settings/imap/${account.id}/remove`, {}, imapRow(ctx, account.id));
    },
  },
  {
    route: 'POST /p/:slug/settings/imap/:id/poll',
    scope: 'project',
    mixed: true,
    expect: projectManagers,
    build: async ({ ctx, slug, site }) => {
      const account = await freshImapAccount(ctx, site.project);
      return post(`/p/${slug}/settings/imap/${account.id}/poll`, {}, imapRow(ctx, account.id));
    },
  },

  // A project's OpenPGP key, and its public half for everyone.
  {
    route: 'GET /p/:slug/settings/pgp',
    scope: 'project',
    expect: projectManagers,
    build: (t) => get(`/p/${t.slug}/settings/pgp`),
  },
  {
    route: 'POST /p/:slug/settings/pgp',
    scope: 'project',
    expect: projectManagers,
    build: async ({ ctx, slug, site }) => {
      const { privateKey } = await openpgp.generateKey({
        type: 'ecc',
        curve: 'ed25519Legacy',
        userIDs: [{ name: 'Uploaded' }],
        date: new Date(ctx.clock.now().getTime() - 60_000),
        format: 'armored',
      });
      return post(`/p/${slug}/settings/pgp`, { armoredKey: privateKey, passphrase: '' }, pgpKeyOf(ctx, site.project));
    },
  },
  {
    route: 'POST /p/:slug/settings/pgp/generate',
    scope: 'project',
    expect: projectManagers,
    build: ({ ctx, slug, site }) => post(`/p/${slug}/settings/pgp/generate`, {}, pgpKeyOf(ctx, site.project)),
  },
  {
    route: 'POST /p/:slug/settings/pgp/remove',
    scope: 'project',
    expect: projectManagers,
    build: async ({ ctx, slug, site }) => {
      await withPgpKey(ctx, site.project);
      return post(`/p/${slug}/settings/pgp/remove`, {}, pgpKeyOf(ctx, site.project));
    },
  },
  {
    route: 'GET /p/:slug/pgp-key.asc',
    scope: 'project',
    expect: everyone,
    build: async ({ ctx, slug, site }) => {
      await withPgpKey(ctx, site.project);
      return get(`/p/${slug}/pgp-key.asc`);
    },
  },

  // The team's pages.
  { route: 'GET /p/:slug/inbox', scope: 'project', expect: projectMembers, build: (t) => get(`/p/${t.slug}/inbox`) },
  {
    route: 'GET /p/:slug/mail',
    scope: 'project',
    expect: projectMembers,
    shows: (site) => [site.secrets.report],
    build: (t) => get(`/p/${t.slug}/mail`),
  },
  { route: 'GET /p/:slug/audit', scope: 'project', expect: projectAdmins, build: (t) => get(`/p/${t.slug}/audit`) },
  {
    route: 'GET /p/:slug/reports/:id',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    shows: (site) => [site.secrets.report, site.secrets.note],
    build: (t) => get(`/p/${t.slug}/reports/${t.site.report.id}`),
  },
  {
    route: 'GET /p/:slug/reports/:id/attachments/:attachmentId',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: (t) => get(`/p/${t.slug}/reports/${t.site.report.id}/attachments/${t.site.attachmentId}`),
  },
  {
    route: 'GET /p/:slug/cases/:number',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: (t) => get(`/p/${t.slug}/cases/${t.site.caseNumber}`),
  },

  // A case's severity (case.severity.edit: members). Cases are named by number under the project of
  // the URL, so there is no other project's id to mix in. Each request gets a fresh case.
  {
    route: 'POST /p/:slug/cases/:number/cvss',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      return post(`/p/${slug}/cases/${c.number}/cvss`, cvssForm, severityOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/ssvc',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const form = {
        intent: 'save',
        exploitation: 'active',
        automatable: 'yes',
        valueDensity: 'concentrated',
        technicalImpact: 'total',
        publicSafetyImpact: 'minimal',
        reason: 'Seen in the wild.',
      };
      return post(`/p/${slug}/cases/${c.number}/ssvc`, form, severityOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/exploitation',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const form = { exploitedInTheWild: 'yes', source: 'CISA KEV', exposure: 'most', reason: 'KEV listing.' };
      return post(`/p/${slug}/cases/${c.number}/exploitation`, form, severityOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/cwes/add',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      return post(`/p/${slug}/cases/${c.number}/cwes/add`, { cwe: 'CWE-787' }, severityOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/cwes/remove',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithCwe(ctx, site.project);
      return post(`/p/${slug}/cases/${c.number}/cwes/remove`, { cwe: '79' }, severityOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/transition',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      return post(`/p/${slug}/cases/${c.number}/transition`, { action: 'start_fix' }, caseStateOf(ctx, c.id));
    },
  },
  {
    route: 'POST /api/v1/projects/:slug/cases/:number/transitions',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const url = `/api/v1/projects/${slug}/cases/${c.number}/transitions`;
      return jsonReq('POST', url, { action: 'start_fix' }, caseStateOf(ctx, c.id));
    },
  },
  // A case's release branches and affected packages (case.affected.edit: members). Forms first.
  {
    route: 'POST /p/:slug/cases/:number/affected/branches/:branchId',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCaseOf(ctx, slug);
      const branch = await freshBranch(ctx, site.project);
      const url = `/p/${slug}/cases/${c.number}/affected/branches/${branch.id}`;
      return post(url, { status: 'affected', fixedVersion: '' }, affectedOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/affected/packages',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const form = {
        ecosystem: 'npm',
        release: '',
        name: `pkg-${unique()}`,
        purl: '',
      };
      return post(`/p/${slug}/cases/${c.number}/affected/packages`, form, affectedOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/affected/packages/:id/remove',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const target = await caseWithRange(ctx, site.project);
      // Own and other columns: the URL names the package's own case; mixed: a case of the own project.
      const c = site.project.slug === slug ? target : await freshCaseOf(ctx, slug);
      const url = `/p/${slug}/cases/${c.number}/affected/packages/${target.packageId}/remove`;
      return post(url, {}, affectedOfCase(ctx, target.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/affected/packages/:id/ranges',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const target = await caseWithRange(ctx, site.project);
      const c = site.project.slug === slug ? target : await freshCaseOf(ctx, slug);
      const url = `/p/${slug}/cases/${c.number}/affected/packages/${target.packageId}/ranges`;
      const form = {
        introduced: '2.0.0',
        fixed: '2.0.3',
        lastAffected: '',
        branchId: '',
      };
      return post(url, form, affectedOfCase(ctx, target.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/affected/ranges/:id/remove',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const target = await caseWithRange(ctx, site.project);
      const c = site.project.slug === slug ? target : await freshCaseOf(ctx, slug);
      const url = `/p/${slug}/cases/${c.number}/affected/ranges/${target.rangeId}/remove`;
      return post(url, {}, affectedOfCase(ctx, target.id));
    },
  },
  // --- Page rows (after the case severity page rows) ---
  // Upload: a fresh case and branch of the site's project. In the mixed column the URL names the own
  // project and a case number of the other project's numbering, with the other project's branch.
  {
    route: 'POST /p/:slug/cases/:number/patches',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const branch = await freshBranch(ctx, site.project);
      const form = {
        branchId: branch.id,
        filename: 'fix.patch',
        content: MATRIX_PATCH,
      };
      return post(`/p/${slug}/cases/${c.number}/patches`, form, patchesOfCase(ctx, c.id));
    },
  },
  {
    route: 'GET /p/:slug/cases/:number/patches/:id',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const p = await casePatch(ctx, site.project);
      return get(`/p/${slug}/cases/${p.number}/patches/${p.patchId}`);
    },
  },
  {
    route: 'GET /p/:slug/cases/:number/patches/:id/raw',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const p = await casePatch(ctx, site.project);
      return get(`/p/${slug}/cases/${p.number}/patches/${p.patchId}/raw`);
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/patches/:id/review',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const p = await casePatch(ctx, site.project);
      return post(
        `/p/${slug}/cases/${p.number}/patches/${p.patchId}/review`,
        { verdict: 'approve', comment: '' },
        reviewsOfPatch(ctx, p.patchId),
      );
    },
  },

  // --- API rows (after the case API rows), with the accounts' bearer tokens ---
  {
    route: 'GET /api/v1/projects/:slug/cases/:number/patches',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const p = await casePatch(ctx, site.project);
      return get(`/api/v1/projects/${slug}/cases/${p.number}/patches`);
    },
  },
  {
    route: 'POST /api/v1/projects/:slug/cases/:number/patches',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const branch = await freshBranch(ctx, site.project);
      return jsonReq(
        'POST',
        `/api/v1/projects/${slug}/cases/${c.number}/patches`,
        { branchId: branch.id, filename: 'fix.patch', content: MATRIX_PATCH },
        patchesOfCase(ctx, c.id),
      );
    },
  },
  {
    route: 'GET /api/v1/projects/:slug/cases/:number/patches/:id',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const p = await casePatch(ctx, site.project);
      return get(`/api/v1/projects/${slug}/cases/${p.number}/patches/${p.patchId}`);
    },
  },
  {
    route: 'POST /api/v1/projects/:slug/cases/:number/patches/:id/reviews',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const p = await casePatch(ctx, site.project);
      return jsonReq(
        'POST',
        `/api/v1/projects/${slug}/cases/${p.number}/patches/${p.patchId}/reviews`,
        { verdict: 'approve' },
        reviewsOfPatch(ctx, p.patchId),
      );
    },
  },
  // The Fix Lead and Fix Team of a case (case.team.manage: members). Cases are named by number under
  // the project of the URL, so there is nothing to mix in. Each request gets a fresh case.
  {
    route: 'POST /p/:slug/cases/:number/team/lead',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      return post(`/p/${slug}/cases/${c.number}/team/lead`, { userId: 'proposed' }, teamOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/team/members/add',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const member = await account(ctx, site.project);
      return post(`/p/${slug}/cases/${c.number}/team/members/add`, { userId: member.id }, teamOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/team/members/remove',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithTeamMember(ctx, site.project);
      return post(`/p/${slug}/cases/${c.number}/team/members/remove`, { userId: c.memberId }, teamOfCase(ctx, c.id));
    },
  },
  // The same over JSON (the read is case.read, audited).
  {
    route: 'GET /api/v1/projects/:slug/cases/:number/team',
    scope: 'project',
    expect: projectMembers,
    build: (t) => get(`/api/v1/projects/${t.slug}/cases/${t.site.caseNumber}/team`),
  },
  {
    route: 'PUT /api/v1/projects/:slug/cases/:number/team/lead',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      return jsonReq(
        'PUT',
        `/api/v1/projects/${slug}/cases/${c.number}/team/lead`,
        { userId: 'proposed' },
        teamOfCase(ctx, c.id),
      );
    },
  },
  {
    route: 'POST /api/v1/projects/:slug/cases/:number/team/members',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const member = await account(ctx, site.project);
      return jsonReq(
        'POST',
        `/api/v1/projects/${slug}/cases/${c.number}/team/members`,
        { userId: member.id },
        teamOfCase(ctx, c.id),
      );
    },
  },
  {
    route: 'DELETE /api/v1/projects/:slug/cases/:number/team/members/:userId',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithTeamMember(ctx, site.project);
      return jsonReq(
        'DELETE',
        `/api/v1/projects/${slug}/cases/${c.number}/team/members/${c.memberId}`,
        undefined,
        teamOfCase(ctx, c.id),
      );
    },
  },
  {
    // Every account marks itself away or back. The account is first marked away and the request
    // brings it back, so the matrix's accounts stay available to the Fix Lead round-robin of later
    // rows. The anonymous and reporters aim at a stranger who must stay away.
    route: 'POST /account/away',
    scope: 'instance',
    expect: anyAccount,
    build: async ({ ctx, user }) => {
      const who = user ?? (await account(ctx));
      await tx(ctx, (trx) => setAway(trx, ctx.deps, { actor: actorOfUser(who), origin: noOrigin, away: true }));
      const away = () =>
        ctx.deps.db.selectFrom('users').select('away').where('id', '=', who.id).executeTakeFirstOrThrow();
      return post('/account/away', { away: '0' }, away);
    },
  },
  // External collaborators of a case (case.collaborators.manage: members). In the mixed column the
  // grant belongs to the other project's case: under the own project's slug it is found nowhere.
  {
    route: 'POST /p/:slug/cases/:number/collaborators',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const form = { email: `invitee-${unique()}@example.net`, name: 'Outside Maintainer' };
      return post(`/p/${slug}/cases/${c.number}/collaborators`, form, grantsOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/collaborators/:id/revoke',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithCollaborator(ctx, site.project);
      return post(`/p/${slug}/cases/${c.number}/collaborators/${c.grantId}/revoke`, {}, grantsOfCase(ctx, c.id));
    },
  },

  // The same over JSON (after the case severity API rows).
  {
    route: 'GET /api/v1/projects/:slug/cases/:number/collaborators',
    scope: 'project',
    expect: projectMembers,
    build: (t) => get(`/api/v1/projects/${t.slug}/cases/${t.site.caseNumber}/collaborators`),
  },
  {
    route: 'POST /api/v1/projects/:slug/cases/:number/collaborators',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const body = { email: `invitee-${unique()}@example.net`, name: 'Outside Maintainer' };
      return jsonReq('POST', `/api/v1/projects/${slug}/cases/${c.number}/collaborators`, body, grantsOfCase(ctx, c.id));
    },
  },
  {
    route: 'DELETE /api/v1/projects/:slug/cases/:number/collaborators/:id',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithCollaborator(ctx, site.project);
      const url = `/api/v1/projects/${slug}/cases/${c.number}/collaborators/${c.grantId}`;
      return jsonReq('DELETE', url, undefined, grantsOfCase(ctx, c.id));
    },
  },
  // A project's signed webhooks.
  {
    route: 'GET /p/:slug/settings/webhooks',
    scope: 'project',
    expect: webhookManagers,
    build: (t) => get(`/p/${t.slug}/settings/webhooks`),
  },
  {
    route: 'POST /p/:slug/settings/webhooks',
    scope: 'project',
    expect: webhookManagers,
    build: ({ ctx, slug, site }) => {
      const url = `https://203.0.113.7/hook/${unique()}`;
      const found = () =>
        ctx.deps.db
          .selectFrom('webhooks')
          .select('id')
          .where('project_id', '=', site.project.id)
          .where('url', '=', url)
          .executeTakeFirst();
      return post(`/p/${slug}/settings/webhooks`, { url }, found);
    },
  },
  {
    route: 'POST /p/:slug/settings/webhooks/:id/remove',
    scope: 'project',
    mixed: true,
    expect: webhookManagers,
    build: async ({ ctx, slug, site }) => {
      const webhook = await freshWebhook(ctx, site.project);
      return post(`/p/${slug}/settings/webhooks/${webhook.id}/remove`, {}, webhookState(ctx, webhook.id));
    },
  },
  {
    route: 'POST /p/:slug/settings/webhooks/:id/test',
    scope: 'project',
    mixed: true,
    expect: webhookManagers,
    build: async ({ ctx, slug, site }) => {
      const webhook = await freshWebhook(ctx, site.project);
      return post(`/p/${slug}/settings/webhooks/${webhook.id}/test`, {}, webhookState(ctx, webhook.id));
    },
  },
  // The embargo of a case (case.embargo.manage: members). Cases are named by number under the
  // project of the URL, so there is nothing to mix in.
  {
    route: 'POST /p/:slug/cases/:number/embargo/propose',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseForEmbargo(ctx, site.project, 'fix_in_progress');
      // An empty release time proposes the default slot.
      return post(`/p/${slug}/cases/${c.number}/embargo/propose`, { releaseAt: '' }, embargoOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/embargo/activate',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseForEmbargo(ctx, site.project, 'fix_ready', true);
      return post(`/p/${slug}/cases/${c.number}/embargo/activate`, {}, embargoOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/embargo/revise',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseForEmbargo(ctx, site.project, 'fix_in_progress', true);
      return post(
        `/p/${slug}/cases/${c.number}/embargo/revise`,
        { releaseAt: c.dayLater, reason: 'A distributor asked for a day more.' },
        embargoOfCase(ctx, c.id),
      );
    },
  },
  // The project's embargo calendar (project.view).
  {
    route: 'GET /p/:slug/embargoes',
    scope: 'project',
    expect: projectMembers,
    build: (t) => get(`/p/${t.slug}/embargoes`),
  },
  // The same over JSON: the read is case.read (audited); the change case.embargo.manage.
  {
    route: 'GET /api/v1/projects/:slug/cases/:number/embargo',
    scope: 'project',
    expect: projectMembers,
    build: (t) => get(`/api/v1/projects/${t.slug}/cases/${t.site.caseNumber}/embargo`),
  },
  {
    route: 'PUT /api/v1/projects/:slug/cases/:number/embargo',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseForEmbargo(ctx, site.project, 'fix_in_progress');
      // No body fields: proposes the default slot.
      return jsonReq('PUT', `/api/v1/projects/${slug}/cases/${c.number}/embargo`, {}, embargoOfCase(ctx, c.id));
    },
  },
  // A project's embargo policy (project.embargo-policy.manage: its admins), over forms and JSON.
  {
    route: 'GET /p/:slug/settings/embargo',
    scope: 'project',
    expect: disclosureManagers,
    build: (t) => get(`/p/${t.slug}/settings/embargo`),
  },
  {
    route: 'POST /p/:slug/settings/embargo',
    scope: 'project',
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => {
      const form = embargoPolicyForm(await nextEmbargoPolicy(ctx, site.project));
      return post(`/p/${slug}/settings/embargo`, form, embargoPolicyOf(ctx, site.project));
    },
  },
  {
    route: 'POST /p/:slug/settings/embargo/reset',
    scope: 'project',
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => {
      await withOwnEmbargoPolicy(ctx, site.project);
      return post(`/p/${slug}/settings/embargo/reset`, {}, embargoPolicyOf(ctx, site.project));
    },
  },
  // Reading it is project.view: members only (unlike the severity policy, instance admins do not).
  {
    route: 'GET /api/v1/projects/:slug/embargo-policy',
    scope: 'project',
    expect: projectMembers,
    build: (t) => get(`/api/v1/projects/${t.slug}/embargo-policy`),
  },
  {
    route: 'PUT /api/v1/projects/:slug/embargo-policy',
    scope: 'project',
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) =>
      put(
        `/api/v1/projects/${slug}/embargo-policy`,
        await nextEmbargoPolicy(ctx, site.project),
        embargoPolicyOf(ctx, site.project),
      ),
  },

  // A project's distributor programme (project.distributors.manage: its admins).
  {
    route: 'GET /p/:slug/settings/distributors',
    scope: 'project',
    expect: disclosureManagers,
    build: (t) => get(`/p/${t.slug}/settings/distributors`),
  },
  {
    // The criteria change and the terms stay: no distributor has to accept them again.
    route: 'POST /p/:slug/settings/distributors/program',
    scope: 'project',
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => {
      const { terms } = await getProgram(ctx.deps.db, site.project.id);
      const program = async () => JSON.stringify(await getProgram(ctx.deps.db, site.project.id));
      const form = { criteria: `Ship the project to users (${unique()}).`, terms };
      return post(`/p/${slug}/settings/distributors/program`, form, program);
    },
  },
  {
    route: 'POST /p/:slug/settings/distributors',
    scope: 'project',
    expect: disclosureManagers,
    build: ({ ctx, slug, site }) => {
      const name = `Distro ${unique()}`;
      const found = () =>
        ctx.deps.db
          .selectFrom('distributors')
          .select('id')
          .where('project_id', '=', site.project.id)
          .where('name', '=', name)
          .executeTakeFirst();
      return post(`/p/${slug}/settings/distributors`, { name, website: '' }, found);
    },
  },
  {
    route: 'GET /p/:slug/settings/distributors/:id',
    scope: 'project',
    mixed: true,
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) =>
      get(`/p/${slug}/settings/distributors/${(await freshDistributor(ctx, site.project)).id}`),
  },
  {
    route: 'POST /p/:slug/settings/distributors/:id/contacts',
    scope: 'project',
    mixed: true,
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => {
      const d = await freshDistributor(ctx, site.project);
      const form = { email: `contact-${unique()}@distro.example`, name: 'Contact', pgpKey: '' };
      return post(`/p/${slug}/settings/distributors/${d.id}/contacts`, form, distributorState(ctx, d.id));
    },
  },
  {
    route: 'POST /p/:slug/settings/distributors/:id/contacts/:contactId/remove',
    scope: 'project',
    mixed: true,
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => {
      const d = await freshDistributor(ctx, site.project);
      const url = `/p/${slug}/settings/distributors/${d.id}/contacts/${d.contacts[0]?.id ?? ''}/remove`;
      return post(url, {}, distributorState(ctx, d.id));
    },
  },
  {
    route: 'POST /p/:slug/settings/distributors/:id/accept',
    scope: 'project',
    mixed: true,
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => {
      const d = await freshDistributor(ctx, site.project);
      const form = { note: 'Signed mail of their security team.' };
      return post(`/p/${slug}/settings/distributors/${d.id}/accept`, form, distributorState(ctx, d.id));
    },
  },
  {
    route: 'POST /p/:slug/settings/distributors/:id/remove',
    scope: 'project',
    mixed: true,
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => {
      const d = await freshDistributor(ctx, site.project);
      return post(`/p/${slug}/settings/distributors/${d.id}/remove`, {}, distributorState(ctx, d.id));
    },
  },

  // A project's mailing lists and their subscribers (project.lists.manage: its admins).
  {
    route: 'GET /p/:slug/settings/lists',
    scope: 'project',
    expect: disclosureManagers,
    build: (t) => get(`/p/${t.slug}/settings/lists`),
  },
  {
    route: 'POST /p/:slug/settings/lists',
    scope: 'project',
    expect: disclosureManagers,
    build: ({ ctx, slug, site }) => {
      const name = `announce-${unique()}`;
      const found = () =>
        ctx.deps.db
          .selectFrom('mailing_lists')
          .select('id')
          .where('project_id', '=', site.project.id)
          .where('name', '=', name)
          .executeTakeFirst();
      return post(`/p/${slug}/settings/lists`, { name, description: 'Releases', 'kinds.release': '1' }, found);
    },
  },
  {
    route: 'GET /p/:slug/settings/lists/:id',
    scope: 'project',
    mixed: true,
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => get(`/p/${slug}/settings/lists/${(await freshList(ctx, site.project)).id}`),
  },
  {
    route: 'POST /p/:slug/settings/lists/:id/remove',
    scope: 'project',
    mixed: true,
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => {
      const list = await freshList(ctx, site.project);
      const found = () =>
        ctx.deps.db.selectFrom('mailing_lists').select('id').where('id', '=', list.id).executeTakeFirst();
      return post(`/p/${slug}/settings/lists/${list.id}/remove`, {}, found);
    },
  },
  {
    route: 'POST /p/:slug/settings/lists/:id/subscriptions/:subscriptionId/remove',
    scope: 'project',
    mixed: true,
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => {
      const s = await confirmedSubscription(ctx, site.project);
      const url = `/p/${slug}/settings/lists/${s.listId}/subscriptions/${s.subscriptionId}/remove`;
      return post(url, {}, subscriptionsOf(ctx, s.listId));
    },
  },

  // The wording of a project's announcements (project.announcements.manage: its admins).
  {
    route: 'GET /p/:slug/settings/announcements',
    scope: 'project',
    expect: disclosureManagers,
    build: (t) => get(`/p/${t.slug}/settings/announcements`),
  },
  {
    route: 'POST /p/:slug/settings/announcements/:kind',
    scope: 'project',
    expect: disclosureManagers,
    build: ({ ctx, slug, site }) =>
      post(`/p/${slug}/settings/announcements/update`, freshUpdateTemplate(), updateTemplateOf(ctx, site.project)),
  },
  {
    route: 'POST /p/:slug/settings/announcements/:kind/reset',
    scope: 'project',
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => {
      await tx(ctx, (trx) =>
        saveTemplate(trx, ctx.deps, {
          by,
          projectId: site.project.id,
          kind: 'update',
          template: freshUpdateTemplate(),
        }),
      );
      return post(`/p/${slug}/settings/announcements/update/reset`, {}, updateTemplateOf(ctx, site.project));
    },
  },

  // A project's security settings (project.security-settings.manage) and its pool of CVE ids
  // (project.cve-pool.manage): its admins only, over forms and JSON; reading them over JSON is
  // project.view. Reservations go to a local CVE Services (test/support/cve-services-server.ts).
  {
    route: 'GET /p/:slug/settings/security',
    scope: 'project',
    expect: disclosureManagers,
    build: (t) => get(`/p/${t.slug}/settings/security`),
  },
  {
    route: 'POST /p/:slug/settings/security',
    scope: 'project',
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => {
      const form = securityForm(await nextSecuritySettings(ctx, site.project));
      return post(`/p/${slug}/settings/security`, form, securitySettingsOf(ctx, site.project));
    },
  },
  {
    route: 'GET /api/v1/projects/:slug/security-settings',
    scope: 'project',
    expect: projectMembers,
    build: (t) => get(`/api/v1/projects/${t.slug}/security-settings`),
  },
  {
    route: 'PUT /api/v1/projects/:slug/security-settings',
    scope: 'project',
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) =>
      put(
        `/api/v1/projects/${slug}/security-settings`,
        await nextSecuritySettings(ctx, site.project),
        securitySettingsOf(ctx, site.project),
      ),
  },
  {
    route: 'GET /p/:slug/settings/cve-ids',
    scope: 'project',
    expect: disclosureManagers,
    build: (t) => get(`/p/${t.slug}/settings/cve-ids`),
  },
  {
    route: 'POST /p/:slug/settings/cve-ids/reserve',
    scope: 'project',
    expect: disclosureManagers,
    build: ({ ctx, slug, site }) =>
      post(`/p/${slug}/settings/cve-ids/reserve`, { amount: '1', year: '' }, poolOf(ctx, site.project)),
  },
  {
    route: 'POST /p/:slug/settings/cve-ids',
    scope: 'project',
    expect: disclosureManagers,
    build: ({ ctx, slug, site }) =>
      post(`/p/${slug}/settings/cve-ids`, { cveIds: freshCveId(ctx) }, poolOf(ctx, site.project)),
  },
  {
    route: 'POST /p/:slug/settings/cve-ids/:cveId/reject',
    scope: 'project',
    mixed: true,
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => {
      const cveId = await pooledCveId(ctx, site.project);
      const form = { reason: 'Reserved by mistake.' };
      return post(`/p/${slug}/settings/cve-ids/${cveId}/reject`, form, poolOf(ctx, site.project));
    },
  },
  {
    route: 'GET /api/v1/projects/:slug/cve-ids',
    scope: 'project',
    expect: projectMembers,
    build: (t) => get(`/api/v1/projects/${t.slug}/cve-ids`),
  },
  {
    route: 'POST /api/v1/projects/:slug/cve-ids/reserve',
    scope: 'project',
    expect: disclosureManagers,
    build: ({ ctx, slug, site }) =>
      jsonReq('POST', `/api/v1/projects/${slug}/cve-ids/reserve`, { amount: 1 }, poolOf(ctx, site.project)),
  },
  {
    route: 'POST /api/v1/projects/:slug/cve-ids',
    scope: 'project',
    expect: disclosureManagers,
    build: ({ ctx, slug, site }) =>
      jsonReq('POST', `/api/v1/projects/${slug}/cve-ids`, { cveIds: [freshCveId(ctx)] }, poolOf(ctx, site.project)),
  },
  {
    route: 'POST /api/v1/projects/:slug/cve-ids/:cveId/reject',
    scope: 'project',
    mixed: true,
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => {
      const cveId = await pooledCveId(ctx, site.project);
      const url = `/api/v1/projects/${slug}/cve-ids/${cveId}/reject`;
      return jsonReq('POST', url, { reason: 'Reserved by mistake.' }, poolOf(ctx, site.project));
    },
  },

  // Dependency monitoring: a branch's lockfiles and SBOMs (project.inventories.manage) and its
  // findings (project.findings.read, project.findings.triage): members, over pages and JSON. Branches
  // are named by id on the pages and by name in the API; another project's are not found.
  {
    route: 'GET /p/:slug/dependencies',
    scope: 'project',
    expect: projectMembers,
    build: (t) => get(`/p/${t.slug}/dependencies`),
  },
  {
    route: 'POST /p/:slug/dependencies/branches/:branchId/inventories',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const branch = await freshBranch(ctx, site.project);
      const form = { name: 'package-lock.json', format: 'package-lock.json', content: matrixLockfile() };
      return post(`/p/${slug}/dependencies/branches/${branch.id}/inventories`, form, inventoriesOf(ctx, branch.id));
    },
  },
  {
    route: 'POST /p/:slug/dependencies/inventories/:id/remove',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const branch = await branchWithInventory(ctx, site.project);
      const [inventory] = await inventoriesOf(ctx, branch.id)();
      const url = `/p/${slug}/dependencies/inventories/${inventory?.id ?? ''}/remove`;
      return post(url, {}, inventoriesOf(ctx, branch.id));
    },
  },
  {
    route: 'GET /p/:slug/dependencies/findings/:id',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) =>
      get(`/p/${slug}/dependencies/findings/${await freshFinding(ctx, site.project)}`),
  },
  {
    route: 'POST /p/:slug/dependencies/findings/:id',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const id = await freshFinding(ctx, site.project);
      const form = { state: 'affected', justification: '', owner: '', note: `Upgrade (${unique()}).` };
      return post(`/p/${slug}/dependencies/findings/${id}`, form, findingOf(ctx, id));
    },
  },
  {
    route: 'PUT /api/v1/projects/:slug/branches/:branch/inventories/:name',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const branch = await freshBranch(ctx, site.project);
      const url = `/api/v1/projects/${slug}/branches/${encodeURIComponent(branch.name)}/inventories/package-lock.json`;
      return put(url, { format: 'package-lock.json', content: matrixLockfile() }, inventoriesOf(ctx, branch.id));
    },
  },
  {
    route: 'GET /api/v1/projects/:slug/branches/:branch/inventories',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const branch = await branchWithInventory(ctx, site.project);
      return get(`/api/v1/projects/${slug}/branches/${encodeURIComponent(branch.name)}/inventories`);
    },
  },
  {
    route: 'DELETE /api/v1/projects/:slug/branches/:branch/inventories/:name',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const branch = await branchWithInventory(ctx, site.project);
      const url = `/api/v1/projects/${slug}/branches/${encodeURIComponent(branch.name)}/inventories/package-lock.json`;
      return jsonReq('DELETE', url, undefined, inventoriesOf(ctx, branch.id));
    },
  },
  {
    route: 'GET /api/v1/projects/:slug/findings',
    scope: 'project',
    expect: projectMembers,
    build: (t) => get(`/api/v1/projects/${t.slug}/findings`),
  },
  {
    route: 'PATCH /api/v1/projects/:slug/findings/:id',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const id = await freshFinding(ctx, site.project);
      const url = `/api/v1/projects/${slug}/findings/${id}`;
      return jsonReq('PATCH', url, { note: `Upgrade (${unique()}).` }, findingOf(ctx, id));
    },
  },

  // Ecosystem alerts. Outside subscriptions are anyone's (dependents.subscribe), and their links are
  // credentials of their own (the session counts for nothing): every actor here holds a live one. A
  // project's own registrations are its admins' (project.dependents.manage), over the page and JSON.
  {
    route: 'GET /dependents/subscribe',
    scope: 'instance',
    expect: everyone,
    build: () => get('/dependents/subscribe'),
  },
  {
    route: 'POST /dependents/subscribe',
    scope: 'instance',
    expect: everyone,
    build: ({ ctx }) => {
      const email = `dependent-${unique()}@users.example`;
      const found = () => ctx.deps.db.selectFrom('dependents').select('id').where('email', '=', email).execute();
      return post('/dependents/subscribe', { name: 'Matrix', email, purls: 'pkg:npm/left-pad@1.0.0' }, found);
    },
  },
  { route: 'GET /dependents/confirm', scope: 'instance', expect: everyone, build: () => get('/dependents/confirm') },
  {
    route: 'GET /dependents/confirm/:token',
    scope: 'instance',
    expect: everyone,
    build: async ({ ctx }) => get(`/dependents/confirm/${(await dependentRegistration(ctx, false)).confirmToken}`),
  },
  {
    route: 'POST /dependents/confirm/:token',
    scope: 'instance',
    expect: everyone,
    build: async ({ ctx }) => {
      const d = await dependentRegistration(ctx, false);
      return post(`/dependents/confirm/${d.confirmToken}`, {}, dependentOf(ctx, d.id));
    },
  },
  { route: 'GET /dependents/manage', scope: 'instance', expect: everyone, build: () => get('/dependents/manage') },
  {
    route: 'GET /dependents/manage/:token',
    scope: 'instance',
    expect: everyone,
    build: async ({ ctx }) => get(`/dependents/manage/${(await dependentRegistration(ctx, true)).manageToken}`),
  },
  {
    route: 'POST /dependents/manage/:token',
    scope: 'instance',
    expect: everyone,
    build: async ({ ctx }) => {
      const d = await dependentRegistration(ctx, true);
      const form = { purls: `pkg:npm/matrix-dep-${unique()}@2.0.0` };
      return post(`/dependents/manage/${d.manageToken}`, form, dependentOf(ctx, d.id));
    },
  },
  {
    route: 'POST /dependents/manage/:token/remove',
    scope: 'instance',
    expect: everyone,
    build: async ({ ctx }) => {
      const d = await dependentRegistration(ctx, true);
      const form = { registration: d.registrationId };
      return post(`/dependents/manage/${d.manageToken}/remove`, form, dependentOf(ctx, d.id));
    },
  },
  {
    route: 'POST /dependents/manage/:token/unsubscribe',
    scope: 'instance',
    expect: everyone,
    build: async ({ ctx }) => {
      const d = await dependentRegistration(ctx, true);
      return post(`/dependents/manage/${d.manageToken}/unsubscribe`, {}, dependentOf(ctx, d.id));
    },
  },
  {
    route: 'POST /api/v1/dependents',
    scope: 'instance',
    expect: everyone,
    build: ({ ctx }) => {
      const email = `dependent-${unique()}@users.example`;
      const found = () => ctx.deps.db.selectFrom('dependents').select('id').where('email', '=', email).execute();
      return jsonReq('POST', '/api/v1/dependents', { name: 'Matrix', email, purls: ['pkg:npm/left-pad@1.0.0'] }, found);
    },
  },
  {
    route: 'GET /p/:slug/settings/dependents',
    scope: 'project',
    expect: disclosureManagers,
    build: (t) => get(`/p/${t.slug}/settings/dependents`),
  },
  {
    route: 'POST /p/:slug/settings/dependents',
    scope: 'project',
    expect: disclosureManagers,
    build: ({ ctx, slug, site }) =>
      post(
        `/p/${slug}/settings/dependents`,
        { purls: `pkg:npm/matrix-dep-${unique()}@1.0.0` },
        projectDependentsOf(ctx, site.project),
      ),
  },
  {
    route: 'POST /p/:slug/settings/dependents/:id/remove',
    scope: 'project',
    mixed: true,
    expect: disclosureManagers,
    build: async ({ ctx, slug, site }) => {
      const registration = await projectDependency(ctx, site.project);
      return post(
        `/p/${slug}/settings/dependents/${registration.id}/remove`,
        {},
        projectDependentsOf(ctx, site.project),
      );
    },
  },
  {
    route: 'GET /api/v1/projects/:slug/dependents',
    scope: 'project',
    expect: disclosureManagers,
    build: (t) => get(`/api/v1/projects/${t.slug}/dependents`),
  },
  {
    route: 'POST /api/v1/projects/:slug/dependents',
    scope: 'project',
    expect: disclosureManagers,
    build: ({ ctx, slug, site }) =>
      jsonReq(
        'POST',
        `/api/v1/projects/${slug}/dependents`,
        { purls: [`pkg:npm/matrix-dep-${unique()}@1.0.0`] },
        projectDependentsOf(ctx, site.project),
      ),
  },

  // The disclosure of a case: its advisory draft (case.read to read, case.advisory.edit to save),
  // the release (case.release), late distributors (case.distributors.notify), the announcements'
  // preview and the retrospective (project.view, case.retrospective.edit): members. Cases are named
  // by number under the project of the URL, so there is nothing to mix in. The drafts read here
  // carry the team's note, which nobody else may see.
  {
    route: 'GET /p/:slug/cases/:number/advisory',
    scope: 'project',
    expect: projectMembers,
    shows: (site) => [site.secrets.note],
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithDraft(ctx, site.project, `Overflow (${site.secrets.note})`);
      return get(`/p/${slug}/cases/${c.number}/advisory`);
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/advisory',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const form = {
        summary: `Heap overflow in the parser (${unique()})`,
        ...Object.fromEntries(ADVISORY_PROSE_FIELDS.map((f) => [f, `The ${f}.`])),
        'credits.0.name': 'Ada Reporter',
        'credits.0.type': 'FINDER',
      };
      return post(`/p/${slug}/cases/${c.number}/advisory`, form, advisoryOf(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/embargo/cancel',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await scheduledCase(ctx, site.project);
      const form = { reason: 'The fix broke the build.' };
      return post(`/p/${slug}/cases/${c.number}/embargo/cancel`, form, caseStateOf(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/embargo/release-now',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await brokenCase(ctx, site.project);
      return post(`/p/${slug}/cases/${c.number}/embargo/release-now`, {}, embargoOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/distributors/notify',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseToldDistributors(ctx, site.project);
      return post(`/p/${slug}/cases/${c.number}/distributors/notify`, {}, noticesOfCase(ctx, c.id));
    },
  },
  {
    // The release announcement carries the advisory's summary.
    route: 'GET /p/:slug/cases/:number/announcements/preview/:kind',
    scope: 'project',
    expect: projectMembers,
    shows: (site) => [site.secrets.note],
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithDraft(ctx, site.project, `Overflow (${site.secrets.note})`);
      return get(`/p/${slug}/cases/${c.number}/announcements/preview/release`);
    },
  },
  {
    route: 'GET /p/:slug/cases/:number/retrospective',
    scope: 'project',
    expect: projectMembers,
    shows: (site) => [site.secrets.note],
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithRetrospective(ctx, site.project, `What went well: ${site.secrets.note}`);
      return get(`/p/${slug}/cases/${c.number}/retrospective`);
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/retrospective',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithRetrospective(ctx, site.project, 'Drafted.');
      const form = { body: `Edited by the team (${unique()}).` };
      return post(`/p/${slug}/cases/${c.number}/retrospective`, form, retrospectiveOf(ctx, c.id));
    },
  },
  // The same over JSON, with the accounts' bearer tokens.
  {
    route: 'GET /api/v1/projects/:slug/cases/:number/advisory',
    scope: 'project',
    expect: projectMembers,
    shows: (site) => [site.secrets.note],
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithDraft(ctx, site.project, `Overflow (${site.secrets.note})`);
      return get(`/api/v1/projects/${slug}/cases/${c.number}/advisory`);
    },
  },
  {
    route: 'PUT /api/v1/projects/:slug/cases/:number/advisory',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const body = { summary: `Heap overflow in the parser (${unique()})`, details: 'A crafted document.' };
      return put(`/api/v1/projects/${slug}/cases/${c.number}/advisory`, body, advisoryOf(ctx, c.id));
    },
  },
  {
    route: 'GET /api/v1/projects/:slug/cases/:number/disclosure',
    scope: 'project',
    expect: projectMembers,
    build: (t) => get(`/api/v1/projects/${t.slug}/cases/${t.site.caseNumber}/disclosure`),
  },
  {
    route: 'POST /api/v1/projects/:slug/cases/:number/release',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await scheduledCase(ctx, site.project);
      const body = { action: 'cancel', reason: 'The fix broke the build.' };
      return jsonReq('POST', `/api/v1/projects/${slug}/cases/${c.number}/release`, body, caseStateOf(ctx, c.id));
    },
  },
  {
    route: 'GET /api/v1/projects/:slug/cases/:number/retrospective',
    scope: 'project',
    expect: projectMembers,
    shows: (site) => [site.secrets.note],
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithRetrospective(ctx, site.project, `What went well: ${site.secrets.note}`);
      return get(`/api/v1/projects/${slug}/cases/${c.number}/retrospective`);
    },
  },
  {
    route: 'PUT /api/v1/projects/:slug/cases/:number/retrospective',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithRetrospective(ctx, site.project, 'Drafted.');
      const body = { body: `Edited by the team (${unique()}).` };
      return put(`/api/v1/projects/${slug}/cases/${c.number}/retrospective`, body, retrospectiveOf(ctx, c.id));
    },
  },
  // What an advisory says besides its text (case.advisory.edit: members), and once published its
  // revisions and withdrawal (case.advisory.revise: members); issue 6. Each request gets a fresh
  // case: the CVE rows one of a CNA project with a fresh id in its pool, the revision rows one whose
  // advisory is published.
  {
    route: 'POST /p/:slug/cases/:number/advisory/meta',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const form = { aliases: `GHSA-${unique()}-matrix`, related: '', references: 'FIX https://example.org/fix' };
      return post(`/p/${slug}/cases/${c.number}/advisory/meta`, form, advisoryOf(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/advisory/cve',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const cveId = await pooledCveId(ctx, site.project);
      return post(`/p/${slug}/cases/${c.number}/advisory/cve`, { cveId }, advisoryOf(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/advisory/cve/remove',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithCve(ctx, site.project);
      return post(`/p/${slug}/cases/${c.number}/advisory/cve/remove`, {}, advisoryOf(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/advisory/cve-request',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const form = { requestedFrom: 'GitHub', cveId: freshCveId(ctx) };
      return post(`/p/${slug}/cases/${c.number}/advisory/cve-request`, form, advisoryOf(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/advisory/revisions',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await publishedCase(ctx, site.project);
      return post(`/p/${slug}/cases/${c.number}/advisory/revisions`, revisionForm(), advisoryOf(ctx, c.id));
    },
  },
  {
    route: 'POST /p/:slug/cases/:number/advisory/withdraw',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await publishedCase(ctx, site.project);
      const form = { reason: 'Not a vulnerability after all.', confirm: '1' };
      return post(`/p/${slug}/cases/${c.number}/advisory/withdraw`, form, advisoryOf(ctx, c.id));
    },
  },
  {
    route: 'PUT /api/v1/projects/:slug/cases/:number/advisory/meta',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const body = {
        aliases: [`GHSA-${unique()}-matrix`],
        references: [{ type: 'FIX', url: 'https://example.org/fix' }],
      };
      return put(`/api/v1/projects/${slug}/cases/${c.number}/advisory/meta`, body, advisoryOf(ctx, c.id));
    },
  },
  {
    route: 'POST /api/v1/projects/:slug/cases/:number/advisory/cve',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const cveId = await pooledCveId(ctx, site.project);
      return jsonReq(
        'POST',
        `/api/v1/projects/${slug}/cases/${c.number}/advisory/cve`,
        { cveId },
        advisoryOf(ctx, c.id),
      );
    },
  },
  {
    route: 'DELETE /api/v1/projects/:slug/cases/:number/advisory/cve',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithCve(ctx, site.project);
      return jsonReq(
        'DELETE',
        `/api/v1/projects/${slug}/cases/${c.number}/advisory/cve`,
        undefined,
        advisoryOf(ctx, c.id),
      );
    },
  },
  {
    route: 'PUT /api/v1/projects/:slug/cases/:number/advisory/cve-request',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const body = { requestedFrom: 'GitHub', cveId: freshCveId(ctx) };
      return put(`/api/v1/projects/${slug}/cases/${c.number}/advisory/cve-request`, body, advisoryOf(ctx, c.id));
    },
  },
  {
    route: 'GET /api/v1/projects/:slug/cases/:number/advisory/revisions',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) =>
      get(`/api/v1/projects/${slug}/cases/${(await publishedCase(ctx, site.project)).number}/advisory/revisions`),
  },
  {
    route: 'POST /api/v1/projects/:slug/cases/:number/advisory/revisions',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await publishedCase(ctx, site.project);
      const body = {
        summary: `Corrected the details (${unique()}).`,
        text: { summary: 'Matrix published advisory', details: 'Revised.' },
      };
      return jsonReq(
        'POST',
        `/api/v1/projects/${slug}/cases/${c.number}/advisory/revisions`,
        body,
        advisoryOf(ctx, c.id),
      );
    },
  },
  {
    route: 'POST /api/v1/projects/:slug/cases/:number/advisory/withdraw',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await publishedCase(ctx, site.project);
      const body = { reason: 'Not a vulnerability after all.' };
      return jsonReq(
        'POST',
        `/api/v1/projects/${slug}/cases/${c.number}/advisory/withdraw`,
        body,
        advisoryOf(ctx, c.id),
      );
    },
  },
  // Opening a case from an upstream advisory (case.import: members), and its result page (case.read).
  {
    route: 'GET /p/:slug/cases/import',
    scope: 'project',
    expect: projectMembers,
    build: (t) => get(`/p/${t.slug}/cases/import`),
  },
  {
    route: 'POST /p/:slug/cases/import',
    scope: 'project',
    expect: projectMembers,
    build: ({ ctx, slug }) =>
      post(`/p/${slug}/cases/import`, { format: 'osv', record: JSON.stringify(osvRecord()) }, caseCount(ctx, slug)),
  },
  {
    route: 'POST /api/v1/projects/:slug/cases/import',
    scope: 'project',
    expect: projectMembers,
    build: ({ ctx, slug }) =>
      jsonReq(
        'POST',
        `/api/v1/projects/${slug}/cases/import`,
        { format: 'osv', record: osvRecord() },
        caseCount(ctx, slug),
      ),
  },
  {
    route: 'GET /p/:slug/cases/:number/imported',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => get(`/p/${slug}/cases/${await importedCase(ctx, site.project)}/imported`),
  },
  // Every embargo of the projects the account is a member of (none: an empty calendar).
  { route: 'GET /embargoes', scope: 'instance', expect: anyAccount, build: () => get('/embargoes') },

  // A project's public pages (project.public.read): everyone. Announcements and advisories are
  // named by id under the project of the URL: another project's are found nowhere there.
  { route: 'GET /p/:slug', scope: 'project', expect: everyone, build: (t) => get(`/p/${t.slug}`) },
  {
    route: 'GET /p/:slug/distributors',
    scope: 'project',
    expect: everyone,
    build: (t) => get(`/p/${t.slug}/distributors`),
  },
  {
    route: 'GET /p/:slug/announcements',
    scope: 'project',
    expect: everyone,
    build: (t) => get(`/p/${t.slug}/announcements`),
  },
  {
    route: 'GET /p/:slug/announcements.atom',
    scope: 'project',
    expect: everyone,
    build: (t) => get(`/p/${t.slug}/announcements.atom`),
  },
  {
    route: 'GET /p/:slug/announcements/:id',
    scope: 'project',
    mixed: true,
    expect: everyone,
    build: async ({ ctx, slug, site }) =>
      get(`/p/${slug}/announcements/${await publishedAnnouncement(ctx, site.project)}`),
  },
  {
    route: 'GET /p/:slug/advisories',
    scope: 'project',
    expect: everyone,
    build: (t) => get(`/p/${t.slug}/advisories`),
  },
  {
    route: 'GET /p/:slug/advisories/:publicId',
    scope: 'project',
    mixed: true,
    expect: everyone,
    build: async ({ ctx, slug, site }) => get(`/p/${slug}/advisories/${await publishedAdvisory(ctx, site.project)}`),
  },
  // Every format of a published advisory, and the CSAF provider (issue 6). A CSAF document is named
  // by year and file, not under a project: each column reads its own project's.
  {
    route: 'GET /p/:slug/advisories/:publicId/osv.json',
    scope: 'project',
    mixed: true,
    expect: everyone,
    build: async ({ ctx, slug, site }) =>
      get(`/p/${slug}/advisories/${await publishedAdvisory(ctx, site.project)}/osv.json`),
  },
  {
    // Only an advisory with a CVE id has a CVE record (404 otherwise): this one has one.
    route: 'GET /p/:slug/advisories/:publicId/cve.json',
    scope: 'project',
    mixed: true,
    expect: everyone,
    build: async ({ ctx, slug, site }) =>
      get(`/p/${slug}/advisories/${await publishedAdvisory(ctx, site.project, true)}/cve.json`),
  },
  {
    route: 'GET /p/:slug/advisories/:publicId/cyclonedx-vex.json',
    scope: 'project',
    mixed: true,
    expect: everyone,
    build: async ({ ctx, slug, site }) =>
      get(`/p/${slug}/advisories/${await publishedAdvisory(ctx, site.project)}/cyclonedx-vex.json`),
  },
  {
    route: 'GET /p/:slug/osv/all.zip',
    scope: 'project',
    expect: everyone,
    build: async ({ ctx, slug, site }) => {
      await publishedAdvisory(ctx, site.project);
      return get(`/p/${slug}/osv/all.zip`);
    },
  },
  {
    route: 'GET /.well-known/csaf/white/:year/:file',
    scope: 'project',
    expect: everyone,
    build: async ({ ctx, site }) => get(await csafDocumentPath(ctx, site.project)),
  },
  {
    route: 'GET /.well-known/csaf/provider-metadata.json',
    scope: 'instance',
    expect: everyone,
    build: () => get('/.well-known/csaf/provider-metadata.json'),
  },
  {
    route: 'GET /.well-known/csaf/white/feed-tlp-white.json',
    scope: 'instance',
    expect: everyone,
    build: () => get('/.well-known/csaf/white/feed-tlp-white.json'),
  },
  { route: 'GET /advisories', scope: 'instance', expect: everyone, build: () => get('/advisories') },
  // security.txt, SECURITY.md and the acknowledgments. The instance has several projects: the
  // well-known one is configured (EMBARGO_WELL_KNOWN_PROJECT, the own project), else /.well-known/
  // would answer 404 to everyone alike.
  {
    route: 'GET /.well-known/security.txt',
    scope: 'instance',
    expect: everyone,
    build: () => get('/.well-known/security.txt'),
  },
  {
    route: 'GET /p/:slug/security.txt',
    scope: 'project',
    expect: everyone,
    build: (t) => get(`/p/${t.slug}/security.txt`),
  },
  {
    route: 'GET /p/:slug/SECURITY.md',
    scope: 'project',
    expect: everyone,
    build: (t) => get(`/p/${t.slug}/SECURITY.md`),
  },
  {
    route: 'GET /p/:slug/acknowledgments',
    scope: 'project',
    expect: everyone,
    build: async ({ ctx, slug, site }) => {
      await publishedAdvisory(ctx, site.project);
      return get(`/p/${slug}/acknowledgments`);
    },
  },
  // Mailing lists. The list chosen, and the links of the mails, belong to the project of the URL;
  // a link is a credential of its own (the session counts for nothing): every actor here holds a
  // live one, and in the mixed column one of the other project's, which must reach nothing.
  { route: 'GET /p/:slug/lists', scope: 'project', expect: everyone, build: (t) => get(`/p/${t.slug}/lists`) },
  {
    route: 'POST /p/:slug/lists/subscribe',
    scope: 'project',
    mixed: true,
    expect: everyone,
    build: async ({ ctx, slug, site }) => {
      const list = await freshList(ctx, site.project);
      const form = { email: `subscriber-${unique()}@users.example`, list: list.id };
      return post(`/p/${slug}/lists/subscribe`, form, subscriptionsOf(ctx, list.id));
    },
  },
  {
    route: 'GET /p/:slug/lists/confirm',
    scope: 'project',
    expect: everyone,
    build: (t) => get(`/p/${t.slug}/lists/confirm`),
  },
  {
    route: 'GET /p/:slug/lists/confirm/:token',
    scope: 'project',
    mixed: true,
    expect: everyone,
    build: async ({ ctx, slug, site }) =>
      get(`/p/${slug}/lists/confirm/${(await pendingSubscription(ctx, site.project)).token}`),
  },
  {
    route: 'POST /p/:slug/lists/confirm/:token',
    scope: 'project',
    mixed: true,
    expect: everyone,
    build: async ({ ctx, slug, site }) => {
      const s = await pendingSubscription(ctx, site.project);
      return post(`/p/${slug}/lists/confirm/${s.token}`, {}, subscriptionsOf(ctx, s.listId));
    },
  },
  {
    route: 'GET /p/:slug/lists/unsubscribe/:token',
    scope: 'project',
    mixed: true,
    expect: everyone,
    build: async ({ ctx, slug, site }) =>
      get(`/p/${slug}/lists/unsubscribe/${(await confirmedSubscription(ctx, site.project)).token}`),
  },
  {
    route: 'POST /p/:slug/lists/unsubscribe/:token',
    scope: 'project',
    mixed: true,
    expect: everyone,
    build: async ({ ctx, slug, site }) => {
      const s = await confirmedSubscription(ctx, site.project);
      return post(`/p/${slug}/lists/unsubscribe/${s.token}`, {}, subscriptionsOf(ctx, s.listId));
    },
  },

  // The distributor portal: any account has one (distributor.portal), showing its own
  // organisations' notices. A notice, its patches and a distributor's terms are for that
  // distributor's live contacts only; the notices here go to fresh distributors of the column's
  // project, with the team's note in the advisory draft.
  { route: 'GET /distributor', scope: 'instance', expect: anyAccount, build: () => get('/distributor') },
  {
    route: 'GET /distributor/notices/:id',
    scope: 'project',
    expect: distributorContacts,
    build: async ({ ctx, site }) =>
      get(`/distributor/notices/${(await freshNotice(ctx, site.project, site.secrets.note)).noticeId}`),
  },
  {
    route: 'POST /distributor/notices/:id/ack',
    scope: 'project',
    expect: distributorContacts,
    build: async ({ ctx, site }) => {
      const n = await freshNotice(ctx, site.project, site.secrets.note);
      return post(`/distributor/notices/${n.noticeId}/ack`, {}, acksOfNotice(ctx, n.noticeId));
    },
  },
  {
    route: 'GET /distributor/notices/:id/patches/:patchId',
    scope: 'project',
    expect: distributorContacts,
    build: async ({ ctx, site }) => {
      const n = await freshNotice(ctx, site.project, site.secrets.note);
      return get(`/distributor/notices/${n.noticeId}/patches/${n.patchId}`);
    },
  },
  {
    route: 'GET /distributor/terms/:distributorId',
    scope: 'project',
    expect: distributorContacts,
    build: async ({ ctx, site }) => get(`/distributor/terms/${(await freshDistributor(ctx, site.project)).id}`),
  },
  {
    // The version on the page is the one in force: a contact's POST would record the acceptance.
    route: 'POST /distributor/terms/:distributorId',
    scope: 'project',
    expect: distributorContacts,
    build: async ({ ctx, site }) => {
      const d = await freshDistributor(ctx, site.project);
      const { termsVersion } = await getProgram(ctx.deps.db, site.project.id);
      return post(`/distributor/terms/${d.id}`, { version: String(termsVersion) }, distributorState(ctx, d.id));
    },
  },
  // The acknowledgement link of a notice's mail: the token is the credential, and every actor here
  // holds a live one. Its page names the distributor and the project, never anything of the case.
  {
    route: 'GET /distributor/ack/:token',
    scope: 'project',
    expect: everyone,
    build: async ({ ctx, site }) =>
      get(`/distributor/ack/${(await freshNotice(ctx, site.project, site.secrets.note)).ackToken}`),
  },
  {
    route: 'POST /distributor/ack/:token',
    scope: 'project',
    expect: everyone,
    build: async ({ ctx, site }) => {
      const n = await freshNotice(ctx, site.project, site.secrets.note);
      return post(`/distributor/ack/${n.ackToken}`, {}, acksOfNotice(ctx, n.noticeId));
    },
  },
  // The same over JSON, with the accounts' bearer tokens. Reading is case.read (members here).
  {
    route: 'GET /api/v1/projects/:slug/cases/:number/affected',
    scope: 'project',
    expect: projectMembers,
    build: (t) => get(`/api/v1/projects/${t.slug}/cases/${t.site.caseNumber}/affected`),
  },
  {
    route: 'PUT /api/v1/projects/:slug/cases/:number/affected/branches/:branchId',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCaseOf(ctx, slug);
      const branch = await freshBranch(ctx, site.project);
      const url = `/api/v1/projects/${slug}/cases/${c.number}/affected/branches/${branch.id}`;
      return jsonReq('PUT', url, { status: 'fixed', fixedVersion: '1.0.1' }, affectedOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /api/v1/projects/:slug/cases/:number/affected/packages',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const body = { ecosystem: 'crates.io', name: `crate_${unique()}` };
      return jsonReq(
        'POST',
        `/api/v1/projects/${slug}/cases/${c.number}/affected/packages`,
        body,
        affectedOfCase(ctx, c.id),
      );
    },
  },
  {
    route: 'DELETE /api/v1/projects/:slug/cases/:number/affected/packages/:id',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const target = await caseWithRange(ctx, site.project);
      const c = site.project.slug === slug ? target : await freshCaseOf(ctx, slug);
      const url = `/api/v1/projects/${slug}/cases/${c.number}/affected/packages/${target.packageId}`;
      return jsonReq('DELETE', url, undefined, affectedOfCase(ctx, target.id));
    },
  },
  {
    route: 'POST /api/v1/projects/:slug/cases/:number/affected/packages/:id/ranges',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const target = await caseWithRange(ctx, site.project);
      const c = site.project.slug === slug ? target : await freshCaseOf(ctx, slug);
      const url = `/api/v1/projects/${slug}/cases/${c.number}/affected/packages/${target.packageId}/ranges`;
      return jsonReq('POST', url, { introduced: '2.0.0', lastAffected: '2.0.2' }, affectedOfCase(ctx, target.id));
    },
  },
  {
    route: 'DELETE /api/v1/projects/:slug/cases/:number/affected/ranges/:id',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const target = await caseWithRange(ctx, site.project);
      const c = site.project.slug === slug ? target : await freshCaseOf(ctx, slug);
      const url = `/api/v1/projects/${slug}/cases/${c.number}/affected/ranges/${target.rangeId}`;
      return jsonReq('DELETE', url, undefined, affectedOfCase(ctx, target.id));
    },
  },
  // The same over JSON, with the accounts' bearer tokens.
  {
    route: 'GET /api/v1/projects/:slug/cases/:number',
    scope: 'project',
    expect: projectMembers,
    build: (t) => get(`/api/v1/projects/${t.slug}/cases/${t.site.caseNumber}`),
  },
  {
    route: 'GET /api/v1/projects/:slug/cases/:number/history',
    scope: 'project',
    expect: projectMembers,
    build: (t) => get(`/api/v1/projects/${t.slug}/cases/${t.site.caseNumber}/history`),
  },
  {
    route: 'PATCH /api/v1/projects/:slug/cases/:number/severity',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      const body = { cvssV31: CRITICAL_31, reason: 'Remote code execution.' };
      return jsonReq('PATCH', `/api/v1/projects/${slug}/cases/${c.number}/severity`, body, severityOfCase(ctx, c.id));
    },
  },
  {
    route: 'POST /api/v1/projects/:slug/cases/:number/cwes',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await freshCase(ctx, site.project);
      return jsonReq(
        'POST',
        `/api/v1/projects/${slug}/cases/${c.number}/cwes`,
        { cwe: 'CWE-787' },
        severityOfCase(ctx, c.id),
      );
    },
  },
  {
    route: 'DELETE /api/v1/projects/:slug/cases/:number/cwes/:cwe',
    scope: 'project',
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const c = await caseWithCwe(ctx, site.project);
      return jsonReq(
        'DELETE',
        `/api/v1/projects/${slug}/cases/${c.number}/cwes/79`,
        undefined,
        severityOfCase(ctx, c.id),
      );
    },
  },

  // Severity policy page: members read it (disabled form), managers change it.
  {
    route: 'GET /p/:slug/settings/severity',
    scope: 'project',
    expect: policyReaders,
    build: (t) => get(`/p/${t.slug}/settings/severity`),
  },
  {
    route: 'POST /p/:slug/settings/severity',
    scope: 'project',
    expect: projectManagers,
    build: ({ ctx, slug, site }) =>
      post(`/p/${slug}/settings/severity`, severityForm(), severityPolicyOf(ctx, site.project)),
  },
  {
    route: 'POST /p/:slug/settings/severity/reset',
    scope: 'project',
    expect: projectManagers,
    build: async ({ ctx, slug, site }) => {
      await withOwnPolicy(ctx, site.project);
      return post(`/p/${slug}/settings/severity/reset`, {}, severityPolicyOf(ctx, site.project));
    },
  },

  // Severity policy over JSON (bearer tokens).
  {
    route: 'GET /api/v1/projects/:slug/severity-policy',
    scope: 'project',
    expect: policyReaders,
    build: (t) => get(`/api/v1/projects/${t.slug}/severity-policy`),
  },
  {
    route: 'PUT /api/v1/projects/:slug/severity-policy',
    scope: 'project',
    expect: projectManagers,
    build: ({ ctx, slug, site }) =>
      put(`/api/v1/projects/${slug}/severity-policy`, freshPolicy(), severityPolicyOf(ctx, site.project)),
  },
  ...TRIAGE.map((action): Row => ({
    route: `POST /p/:slug/reports/:id/${action.name}`,
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const report = await reportIn(ctx, site.project, action.from);
      return post(`/p/${slug}/reports/${report.id}/${action.name}`, action.form, reportState(ctx, report.id));
    },
  })),

  // Mail intake: received mail for members; intake addresses seen by those who manage the project,
  // changed by its admins only.
  {
    route: 'GET /p/:slug/mail/inbound',
    scope: 'project',
    expect: projectMembers,
    shows: (site) => [site.secrets.report],
    build: async ({ ctx, slug, site }) => {
      await quarantined(ctx, site.project, `Mail about ${site.secrets.report}`);
      return get(`/p/${slug}/mail/inbound`);
    },
  },
  {
    route: 'GET /p/:slug/mail/inbound/:id/raw',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    shows: (site) => [site.secrets.report],
    build: async ({ ctx, slug, site }) =>
      get(`/p/${slug}/mail/inbound/${await quarantined(ctx, site.project, site.secrets.report)}/raw`),
  },
  {
    route: 'POST /p/:slug/mail/inbound/:id/reprocess',
    scope: 'project',
    mixed: true,
    expect: projectMembers,
    build: async ({ ctx, slug, site }) => {
      const id = await quarantined(ctx, site.project, 'Broken');
      return post(`/p/${slug}/mail/inbound/${id}/reprocess`, {}, inboundStatus(ctx, id));
    },
  },
  {
    route: 'GET /p/:slug/settings/mail',
    scope: 'project',
    expect: projectManagers,
    build: (t) => get(`/p/${t.slug}/settings/mail`),
  },
  {
    route: 'POST /p/:slug/settings/mail',
    scope: 'project',
    expect: intakeManagers,
    build: ({ ctx, slug }) => {
      const address = `new-${unique()}@intake.example.org`;
      const found = () =>
        ctx.deps.db.selectFrom('intake_addresses').select('id').where('address', '=', address).executeTakeFirst();
      return post(`/p/${slug}/settings/mail`, { address }, found);
    },
  },
  {
    route: 'POST /p/:slug/settings/mail/:id/remove',
    scope: 'project',
    mixed: true,
    expect: intakeManagers,
    build: async ({ ctx, slug, site }) => {
      const address = await intakeAddress(ctx, site.project);
      const found = () =>
        ctx.deps.db.selectFrom('intake_addresses').select('id').where('id', '=', address.id).executeTakeFirst();
      return post(`/p/${slug}/settings/mail/${address.id}/remove`, {}, found);
    },
  },

  // The reporter's status page and API.
  {
    route: 'GET /status/:token',
    scope: 'project',
    expect: tokenHolders,
    shows: (site) => [site.secrets.report],
    build: (t) => get(`/status/${t.token}`),
  },
  {
    route: 'POST /status/:token/messages',
    scope: 'project',
    expect: tokenHolders,
    build: ({ ctx, site, token }) =>
      post(`/status/${token}/messages`, { body: 'More detail.' }, reportState(ctx, site.report.id)),
  },
  {
    route: 'GET /status/:token/attachments/:id',
    scope: 'project',
    mixed: true,
    expect: thisReporter,
    build: (t) => get(`/status/${t.token}/attachments/${t.site.attachmentId}`),
  },
  {
    route: 'GET /api/v1/status/:token',
    scope: 'project',
    expect: tokenHolders,
    shows: (site) => [site.secrets.report],
    build: (t) => get(`/api/v1/status/${t.token}`),
  },
  {
    route: 'POST /api/v1/status/:token/messages',
    scope: 'project',
    expect: tokenHolders,
    build: ({ ctx, site, token }) =>
      post(`/api/v1/status/${token}/messages`, { body: 'More detail.' }, reportState(ctx, site.report.id)),
  },
  {
    route: 'GET /api/v1/status/:token/attachments/:id',
    scope: 'project',
    mixed: true,
    expect: thisReporter,
    build: (t) => get(`/api/v1/status/${t.token}/attachments/${t.site.attachmentId}`),
  },
];

// --- Cells ----------------------------------------------------------------------------------------

interface MatrixCell {
  row: Row;
  actor: ActorName;
  column: Column;
  expected: Outcome;
  name: string;
}

function outcomeOf(row: Row, actor: ActorName, column: Column): Outcome {
  const e = row.expect[actor];
  if (column === 'instance' && typeof e !== 'string') throw new Error(`${row.route}: one outcome per actor here`);
  const [inOwn, inOther] = typeof e === 'string' ? [e, e] : e;
  if (column === 'other') return inOther;
  // Another project's ids under one's own project: what would be allowed there finds nothing.
  if (column === 'mixed') return inOwn === 'ok' ? 'hidden' : inOwn;
  return inOwn;
}

const cells: MatrixCell[] = rows.flatMap((row) => {
  const columns: Column[] =
    row.scope === 'instance' ? ['instance'] : row.mixed ? ['own', 'other', 'mixed'] : ['own', 'other'];
  return columns.flatMap((column) =>
    ACTORS.map((actor) => {
      const expected = outcomeOf(row, actor, column);
      return { row, actor, column, expected, name: `${row.route} | ${actor} | ${column} -> ${expected}` };
    }),
  );
});

/** Which class of answer a response is; anything else is returned as its status and code, failing the cell. */
function classify(res: LightMyRequestResponse): string {
  const code = errorCode(res);
  const location = String(res.headers.location ?? '');
  const json = String(res.headers['content-type']).includes('application/json');
  if (res.statusCode >= 200 && res.statusCode < 300) return 'ok';
  // The sign-in redirect is /login or /login?next=...; /login?setup=done is where a used setup link leads.
  if (res.statusCode === 303) return /^\/login(\?next=|$)/.test(location) ? 'login' : 'ok';
  if (res.statusCode === 401 && code === 'AUTH_REQUIRED' && json) return 'login';
  if (res.statusCode === 403 && code === 'FORBIDDEN') return 'forbidden';
  if (res.statusCode === 404) return 'hidden';
  return `${res.statusCode} ${code ?? ''} ${location}`.trim();
}

// --- The run ----------------------------------------------------------------------------------------

/** A browser's cookies (session, CSRF) and the CSRF token of a page it loaded. */
interface Agent {
  jar: Record<string, string>;
  csrf: string;
  /** An account's personal API token: under /api/ (which ignores cookies) it is how the account signs in. */
  bearer?: string;
}

describe.each(engines())('every route x actor x project on %s', (engine) => {
  let ctx: TestContext;
  let cveServices: CveServicesServer;
  let own: Site;
  let other: Site;
  const accounts = {} as Record<Account, User>;
  const agents = new Map<ActorName, Agent>();
  const bearers = new Map<Account, string>();

  async function buildSite(label: string, cases: number, slug?: string): Promise<Site> {
    const { db } = ctx.deps;
    const project = await makeProject(db, ctx.clock, { name: `Project ${label}`, ...(slug ? { slug } : {}) });
    const secrets = {
      report: `SECRET-${label}-REPORT-${unique()}`,
      note: `SECRET-${label}-NOTE-${unique()}`,
      otherReport: `SECRET-${label}-OTHER-${unique()}`,
    };
    const file = { filename: 'poc.txt', contentType: 'text/plain', content: Buffer.from('proof') };
    const { report, statusToken } = await makeReport(ctx, project, {
      title: `Overflow ${secrets.report}`,
      description: `Details: ${secrets.report}`,
      attachments: [file],
    });
    const mine = await makeReport(ctx, project, { title: `Other ${secrets.otherReport}`, attachments: [file] });
    const attachment = await db
      .selectFrom('attachments')
      .select('id')
      .where('report_id', '=', report.id)
      .executeTakeFirstOrThrow();
    const t = { ...by, projectId: project.id, reportId: report.id };
    // The acknowledgement quotes the report and is mailed to the reporter; the note is the team's alone.
    await tx(ctx, (trx) => triage.acknowledge(trx, ctx.deps, { ...t, message: `Reproduced ${secrets.report}.` }));
    await tx(ctx, (trx) => triage.addNote(trx, ctx.deps, { ...t, body: secrets.note }));
    for (let n = 0; n < cases; n++) {
      const accepted = await reportIn(ctx, project);
      await tx(ctx, (trx) => triage.accept(trx, ctx.deps, { ...by, projectId: project.id, reportId: accepted.id }));
    }
    const mail = await db
      .selectFrom('outbound_emails')
      .select('id')
      .where('report_id', '=', report.id)
      .where('template', '=', 'reporter-update')
      .executeTakeFirstOrThrow();
    return {
      project,
      report,
      token: statusToken,
      attachmentId: attachment.id,
      otherToken: mine.statusToken,
      caseNumber: cases,
      mailId: mail.id,
      secrets,
    };
  }

  async function sessionOf(user: User): Promise<string> {
    return tx(ctx, (trx) => createSession(trx, ctx.clock, { userId: user.id, days: 30, origin: noOrigin }));
  }

  /** A browser for the actor with a CSRF token from a page it can load. */
  async function agentFor(actor: ActorName): Promise<Agent> {
    const jar: Record<string, string> = {};
    if (isAccount(actor)) jar[SESSION_COOKIE] = await sessionOf(accounts[actor]);
    const page = isAccount(actor)
      ? '/projects'
      : actor === 'reporterOfThisReport'
        ? `/status/${own.token}`
        : actor === 'reporterOfAnotherReport'
          ? `/status/${own.otherToken}`
          : '/login';
    const res = await ctx.app.inject({ method: 'GET', url: page, headers: { cookie: cookieHeader(jar) } });
    absorbCookies(jar, res.headers['set-cookie']);
    const bearer = isAccount(actor) ? bearers.get(actor) : undefined;
    return { jar, csrf: csrfFrom(res.body), ...(bearer ? { bearer } : {}) };
  }

  beforeAll(async () => {
    // Two dozen reports and as many list subscriptions are requested over HTTP from one address; those
    // limits have tests of their own.
    // The own project speaks for /.well-known/ (the instance has two); reservations of CVE ids go to a
    // local CVE Services.
    const wellKnown = `own-${unique()}`;
    cveServices = await startCveServicesServer({ quota: 100 });
    ctx = await createTestContext(engine, {
      env: {
        EMBARGO_INTAKE_PER_HOUR: '10000',
        EMBARGO_LIST_REQUESTS_PER_HOUR: '10000',
        EMBARGO_WELL_KNOWN_PROJECT: wellKnown,
        EMBARGO_CVE_SERVICES_URL: cveServices.url,
        EMBARGO_CVE_API_ORG: cveServices.org,
        EMBARGO_CVE_API_USER: cveServices.user,
        EMBARGO_CVE_API_KEY: cveServices.key,
      },
    });
    own = await buildSite('OWN', 1, wellKnown);
    other = await buildSite('OTHER', 2);
    const { db } = ctx.deps;
    accounts.userWithoutMembership = await makeUser(db, ctx.clock);
    accounts.instanceAdminNotMember = await makeUser(db, ctx.clock, { isInstanceAdmin: true });
    accounts.securityMemberHere = await makeUser(db, ctx.clock, { project: own.project, role: 'security' });
    accounts.adminHere = await makeUser(db, ctx.clock, { project: own.project, role: 'admin' });
    accounts.adminOfAnotherProject = await makeUser(db, ctx.clock, { project: other.project, role: 'admin' });
    for (const actor of ACTORS) {
      if (!isAccount(actor)) continue;
      const { token } = await tx(ctx, (trx) =>
        createApiToken(trx, ctx.deps, {
          actor: actorOfUser(accounts[actor]),
          origin: noOrigin,
          name: 'route-matrix',
          expiresInDays: null,
        }),
      );
      bearers.set(actor, token);
    }
    for (const actor of ACTORS) agents.set(actor, await agentFor(actor));
  });
  afterAll(async () => {
    await ctx.close();
    await cveServices.close();
  });

  it('has a row for every route the app registers, and no row for a route it does not', () => {
    const registered = new Set(ctx.app.routeList.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`));
    const listed = new Set(rows.map((r) => r.route));
    expect(
      [...registered].filter((r) => !listed.has(r)),
      'routes missing from the matrix',
    ).toEqual([]);
    expect(
      [...listed].filter((r) => !registered.has(r)),
      'rows for no route',
    ).toEqual([]);
    expect(rows.length, 'one row per route').toBe(listed.size);
  });

  function targetOf(actor: ActorName, column: Column): Target {
    // The mixed column names the own project (or holds its token) and uses the other project's ids.
    const scope = column === 'other' ? other : own;
    const site = column === 'own' || column === 'instance' ? own : other;
    const token =
      actor === 'reporterOfThisReport'
        ? scope.token
        : actor === 'reporterOfAnotherReport'
          ? scope.otherToken
          : GUESSED_TOKEN;
    return { ctx, slug: scope.project.slug, site, token, user: isAccount(actor) ? accounts[actor] : undefined };
  }

  /** Secrets the actor may not see in this cell: every one but its own projects' and its own report's. */
  function forbiddenSecrets(actor: ActorName, column: Column): string[] {
    const scope = column === 'other' ? other : own;
    const allowed = new Set<string>();
    const memberOf =
      actor === 'securityMemberHere' || actor === 'adminHere'
        ? own
        : actor === 'adminOfAnotherProject'
          ? other
          : undefined;
    if (memberOf) for (const s of Object.values(memberOf.secrets)) allowed.add(s);
    if (actor === 'reporterOfThisReport') allowed.add(scope.secrets.report);
    if (actor === 'reporterOfAnotherReport') allowed.add(scope.secrets.otherReport);
    return [own, other].flatMap((s) => Object.values(s.secrets)).filter((s) => !allowed.has(s));
  }

  async function send(agent: Agent, req: Req): Promise<LightMyRequestResponse> {
    const cookie = cookieHeader(agent.jar);
    if (req.url.startsWith('/api/')) {
      // The session cookie goes too: the API must ignore it and act on the bearer token alone.
      const authorization = agent.bearer ? { authorization: `Bearer ${agent.bearer}` } : {};
      const headers = { cookie, accept: 'application/json', ...authorization };
      return req.method === 'GET' || req.method === 'DELETE'
        ? ctx.app.inject({ method: req.method, url: req.url, headers })
        : ctx.app.inject({
            method: req.method,
            url: req.url,
            headers: { ...headers, 'content-type': 'application/json' },
            payload: JSON.stringify(req.body ?? {}),
          });
    }
    if (req.method === 'GET')
      return ctx.app.inject({ method: 'GET', url: req.url, headers: { cookie, accept: 'text/html' } });
    return ctx.app.inject({
      method: 'POST',
      url: req.url,
      headers: { cookie, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: agent.csrf, ...(req.body as Record<string, string>) }).toString(),
    });
  }

  for (const { row, actor, column, expected, name } of cells) {
    it(name, async () => {
      const shared = agents.get(actor);
      if (!shared) throw new Error(`no agent for ${actor}`);
      const agent = row.ownSession && isAccount(actor) ? await agentFor(actor) : shared;
      const target = targetOf(actor, column);
      const req = await row.build(target);
      const before = await req.effect?.();
      const res = await send(agent, req);

      const got = classify(res);
      expect(got, `${req.method} ${req.url}: ${res.statusCode} ${res.headers.location ?? ''}`).toBe(expected);
      for (const secret of forbiddenSecrets(actor, column)) expect(res.body).not.toContain(secret);
      // Whether the request reached the thing in question: another report's token only ever reaches that report.
      const reached =
        expected === 'ok' && !(actor === 'reporterOfAnotherReport' && row.route.includes('/status/:token'));
      const shown = reached ? (row.shows?.(target.site) ?? []) : [];
      for (const secret of shown) expect(res.body).toContain(secret);
      if (req.effect) {
        const after = await req.effect();
        if (reached) expect(after).not.toEqual(before);
        else expect(after).toEqual(before);
      }
    });
  }
});
