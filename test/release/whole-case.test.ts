import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import type { LightMyRequestResponse } from 'fastify';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { getEmbargo } from '../../src/domain/cases/embargo.service.js';
import type { AdvisoryRecord } from '../../src/domain/advisories/advisory-record.js';
import { requireCase } from '../../src/domain/cases/cases.service.js';
import { addBranch } from '../../src/domain/projects/branches.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { createSession } from '../../src/domain/users/sessions.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import { toUser } from '../../src/domain/users/users.repository.js';
import type { User } from '../../src/domain/users/users.js';
import { SESSION_COOKIE } from '../../src/http/plugins/auth.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { Browser, cookieHeader, makeProject, makeUser } from '../support/factories.js';
import { FormClient } from '../support/intake.js';
import { testWorker } from '../mail/support.js';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp.js';
import { startReceiver } from '../webhooks/receiver.js';

// Issue 5's proofs, in one case driven from the report to the retrospective through the app's own
// pages, with a movable clock, a real SMTP server and a real webhook receiver, on each engine:
//
// - every mail of each step is checked as it arrives: who gets what, and nothing else;
// - the leak sweep: a canary sits in every embargoed field (the report, the team's note, the
//   advisory draft, the patches, the exploitation source, a revision's reason). At each step before
//   the go, every GET route of the app (with every real id, as anonymous, as a signed-in outsider
//   and as a distributor's contact) and every mail to someone outside the team (the distributor
//   after its notice excepted: it is under embargo), every webhook and every log line are searched
//   for it: it never appears. The affected component's name, which the "fix forthcoming" notice
//   names, has a canary of its own that may appear from that notice on. After the go the advisory's
//   canary appears where it should (the advisory, the release announcement, the feed), while the
//   report's, the note's, the patches' and the revision reason's never do.

const CANARY = 'CANARY7F3A';
const C = (field: string) => `${CANARY}-${field}`;
const COMPONENT = 'widget-parser-cmp9e2d';
const PASSWORD_FREE = { days: 120, origin: noOrigin };

const MEMBER_MAIL = ['ada@widget.example', 'bo@widget.example'];
const CONTACT = 'security@debian.example';
const SUBSCRIBER = 'watcher@users.example';
const REPORTER = 'reporter@example.net';

const PATCH = (branch: string) =>
  `From 2222222222222222222222222222222222222222 Mon Sep 17 00:00:00 2001\nFrom: Bo <bo@widget.example>\nSubject: [PATCH] Bound the parser (${C('patch')})\n\n---\n src/parse.c | 1 +\n\ndiff --git a/src/parse.c b/src/parse.c\n--- a/src/parse.c\n+++ b/src/parse.c\n@@ -1 +1,2 @@\n int parse(void);\n+/* ${C('patch-code')} on ${branch} */\n`;

describe.each(engines())('a whole case from report to retrospective on %s', (engine) => {
  let ctx: TestContext;
  let smtp: SmtpCapture;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let project: Project;
  let ada: User;
  let bo: User;
  let outsider: User;
  let contactUser: User | undefined;
  const bearer = new Map<string, string>();

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    receiver = await startReceiver();
    ctx = await createTestContext(engine, {
      env: { EMBARGO_SMTP_URL: smtp.url, EMBARGO_WEBHOOK_ALLOW_PRIVATE: '1', EMBARGO_INTAKE_PER_HOUR: '100' },
    });
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Widget', securityContact: 'security@widget.example' });
    ada = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin', email: MEMBER_MAIL[0], name: 'Ada Admin' });
    bo = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security', email: MEMBER_MAIL[1], name: 'Bo Fixer' });
    outsider = await makeUser(ctx.deps.db, ctx.clock, { email: 'outsider@elsewhere.example', name: 'Out Sider' });
    for (const user of [ada, bo, outsider]) bearer.set(user.id, await tokenOf(user));
  });
  afterAll(async () => {
    await ctx.close();
    await smtp.close();
    await receiver.close();
  });

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);
  async function tokenOf(user: User): Promise<string> {
    const made = await tx((trx) =>
      createApiToken(trx, ctx.deps, {
        actor: actorOfUser(user),
        origin: noOrigin,
        name: 'whole case',
        expiresInDays: null,
      }),
    );
    return made.token;
  }
  /** A browser signed in as `user` with a session that outlasts the case (the clock moves by weeks). */
  async function browserOf(user: User): Promise<Browser> {
    const b = new Browser(ctx.app);
    b.jar[SESSION_COOKIE] = await tx((trx) => createSession(trx, ctx.clock, { userId: user.id, ...PASSWORD_FREE }));
    return b;
  }
  async function drain(): Promise<void> {
    const worker = testWorker(ctx);
    while ((await worker.runDue()) > 0) {
      // a job may enqueue more
    }
  }

  // --- Mail, step by step ---------------------------------------------------------------------------

  let seen = 0;
  const recipientOf = (i: number) => smtp.recipients[i]?.join(',') ?? '';
  const everything = (m: ParsedMail) =>
    [
      m.subject ?? '',
      m.text ?? '',
      typeof m.html === 'string' ? m.html : '',
      ...m.attachments.map((a) => a.content.toString('utf8')),
    ].join('\n');

  /** The mail received since the last call must be exactly `expected` (recipient and subject), in any order. */
  async function expectMail(step: string, expected: { to: string; subject: RegExp }[]): Promise<ParsedMail[]> {
    await drain();
    if (expected.length > 0) await smtp.waitFor(seen + expected.length);
    const fresh = smtp.messages.slice(seen).map((m, i) => ({ m, to: recipientOf(seen + i) }));
    seen = smtp.messages.length;
    const left = [...fresh];
    for (const e of expected) {
      const at = left.findIndex((f) => f.to === e.to && e.subject.test(f.m.subject ?? ''));
      expect(
        at,
        `${step}: a mail to ${e.to} matching ${e.subject}; got ${JSON.stringify(fresh.map((f) => [f.to, f.m.subject]))}`,
      ).toBeGreaterThanOrEqual(0);
      left.splice(at, 1);
    }
    expect(
      left.map((f) => [f.to, f.m.subject]),
      `${step}: no other mail`,
    ).toEqual([]);
    return fresh.map((f) => f.m);
  }

  // --- The leak sweep -------------------------------------------------------------------------------

  /** The values each route parameter is tried with: every real id of this world. */
  const ids: Record<string, Set<string>> = {};
  const remember = (name: string, ...values: (string | number | undefined | null)[]) => {
    ids[name] ??= new Set();
    for (const v of values) if (v !== undefined && v !== null && v !== '') ids[name].add(String(v));
  };

  function urlsOf(pattern: string): string[] {
    const names = [...pattern.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] ?? '');
    let urls = [pattern];
    for (const name of names) {
      const values = [...(ids[name] ?? new Set(['x']))];
      urls = urls.flatMap((u) => values.map((v) => u.replace(`:${name}`, encodeURIComponent(v))));
    }
    return urls;
  }

  async function as(who: 'anonymous' | User, url: string): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { accept: url.startsWith('/api/') ? 'application/json' : 'text/html' };
    if (who !== 'anonymous') {
      if (url.startsWith('/api/')) headers.authorization = `Bearer ${bearer.get(who.id) ?? ''}`;
      else headers.cookie = cookieHeader((await browserOf(who)).jar);
    }
    return ctx.app.inject({ method: 'GET', url, headers });
  }

  /**
   * Every GET route, every id, as the anonymous, an outsider and the distributor's contact (except, once
   * it was notified, on the portal that shows it its notice): none may show a canary in `forbidden`.
   */
  async function sweepRoutes(step: string, forbidden: readonly string[], contactNotified: boolean): Promise<number> {
    const patterns = [...new Set(ctx.app.routeList.filter((r) => r.method === 'GET').map((r) => r.url))];
    let checked = 0;
    const viewers: ('anonymous' | User)[] = ['anonymous', outsider, ...(contactUser ? [contactUser] : [])];
    for (const pattern of patterns) {
      for (const url of urlsOf(pattern)) {
        for (const viewer of viewers) {
          if (viewer !== 'anonymous' && viewer === contactUser && contactNotified && url.startsWith('/distributor'))
            continue;
          const res = await as(viewer, url);
          const who = viewer === 'anonymous' ? 'anonymous' : viewer.email;
          for (const secret of forbidden)
            expect(res.body.includes(secret), `${step}: ${secret} in GET ${url} as ${who}`).toBe(false);
          checked++;
        }
      }
    }
    return checked;
  }

  /** Mail to anyone outside the team (and the notified distributor), webhooks and logs: no canary in `forbidden`. */
  function sweepChannels(step: string, forbidden: readonly string[], contactNotified: boolean): void {
    smtp.messages.forEach((m, i) => {
      const to = recipientOf(i);
      if (MEMBER_MAIL.includes(to) || (to === CONTACT && contactNotified)) return;
      for (const secret of forbidden)
        expect(everything(m).includes(secret), `${step}: ${secret} in mail to ${to}: ${m.subject}`).toBe(false);
    });
    for (const hook of receiver.received)
      for (const secret of forbidden) expect(hook.body.includes(secret), `${step}: ${secret} in a webhook`).toBe(false);
    const logs = ctx.logs();
    expect(logs.includes(CANARY), `${step}: a canary in the logs`).toBe(false);
  }

  const EMBARGOED = [CANARY];
  async function sweep(step: string, options: { componentPublic: boolean; contactNotified: boolean }): Promise<void> {
    const forbidden = options.componentPublic ? EMBARGOED : [...EMBARGOED, COMPONENT];
    sweepChannels(step, forbidden, options.contactNotified);
    const checked = await sweepRoutes(step, forbidden, options.contactNotified);
    expect(checked).toBeGreaterThan(100);
  }

  // --- The case -------------------------------------------------------------------------------------

  it(
    'goes from a report to the retrospective: every mail, the feed and the leak sweep at each step',
    { timeout: 300_000 },
    async () => {
      const admin = await browserOf(ada);
      const fixer = await browserOf(bo);
      const slug = project.slug;
      remember('slug', slug);
      remember('file', 'app.css');
      remember('kind', 'fix_forthcoming', 'release', 'update');
      remember('token', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      remember('cwe', '79');
      const branches = await tx(async (trx) => [
        await addBranch(trx, ctx.clock, {
          by: { actor: actorOfUser(ada), origin: noOrigin },
          projectId: project.id,
          name: '1.x',
          endOfSupport: null,
        }),
        await addBranch(trx, ctx.clock, {
          by: { actor: actorOfUser(ada), origin: noOrigin },
          projectId: project.id,
          name: '2.x',
          endOfSupport: null,
        }),
      ]);
      remember('branchId', ...branches.map((b) => b.id));

      // Step 0: the project's disclosure set up through its settings: a distributor with a contact who
      // accepted the terms, a mailing list with a subscriber (double opt-in), a webhook.
      const settings = `/p/${slug}/settings`;
      expect(
        (await admin.submit(`${settings}/distributors`, `${settings}/distributors`, { name: 'Debian', website: '' }))
          .statusCode,
      ).toBe(303);
      const distributor = await ctx.deps.db
        .selectFrom('distributors')
        .select('id')
        .where('project_id', '=', project.id)
        .executeTakeFirstOrThrow();
      remember('distributorId', distributor.id);
      remember('id', distributor.id);
      const contactForm = { email: CONTACT, name: 'Debian Security', pgpKey: '' };
      expect(
        (
          await admin.submit(
            `${settings}/distributors/${distributor.id}`,
            `${settings}/distributors/${distributor.id}/contacts`,
            contactForm,
          )
        ).statusCode,
      ).toBe(303);
      const accepted = await admin.submit(
        `${settings}/distributors/${distributor.id}`,
        `${settings}/distributors/${distributor.id}/accept`,
        {
          note: 'Accepted by signed mail of 2026-03-01.',
        },
      );
      expect(accepted.statusCode).toBe(303);
      contactUser = toUser(
        await ctx.deps.db.selectFrom('users').selectAll().where('email', '=', CONTACT).executeTakeFirstOrThrow(),
      );
      if (contactUser) bearer.set(contactUser.id, await tokenOf(contactUser));
      expect(
        (
          await admin.submit(`${settings}/lists`, `${settings}/lists`, {
            name: 'security-announce',
            description: 'Security announcements of Widget',
            'kinds.fix_forthcoming': '1',
            'kinds.release': '1',
            'kinds.update': '1',
          })
        ).statusCode,
      ).toBe(303);
      const list = await ctx.deps.db
        .selectFrom('mailing_lists')
        .select(['id', 'kinds'])
        .where('project_id', '=', project.id)
        .executeTakeFirstOrThrow();
      remember('id', list.id);
      expect(
        (await admin.submit(`${settings}/webhooks`, `${settings}/webhooks`, { url: receiver.url('/hook') })).statusCode,
      ).toBe(200);
      const subscribe = await new Browser(ctx.app).submit(`/p/${slug}/lists`, `/p/${slug}/lists/subscribe`, {
        email: SUBSCRIBER,
        list: list.id,
      });
      expect(subscribe.statusCode).toBe(200);
      const setupMail = await expectMail('setup', [
        { to: CONTACT, subject: /security contact of Debian/ },
        { to: SUBSCRIBER, subject: /Confirm your subscription to security-announce/ },
      ]);
      const confirmUrl = /https?:\/\/[^\s]+\/lists\/confirm\/[A-Za-z0-9_-]+/.exec(
        setupMail.find((m) => /Confirm/.test(m.subject ?? ''))?.text ?? '',
      )?.[0];
      if (!confirmUrl) throw new Error('no confirmation link');
      const confirmPath = new URL(confirmUrl).pathname;
      const confirmer = new Browser(ctx.app);
      expect((await confirmer.submit(confirmPath, confirmPath, {})).statusCode).toBe(200);
      const subscription = await ctx.deps.db
        .selectFrom('list_subscriptions')
        .selectAll()
        .where('email', '=', SUBSCRIBER)
        .executeTakeFirstOrThrow();
      expect(subscription.status).toBe('confirmed');
      remember('id', subscription.id);
      remember('subscriptionId', subscription.id);
      await expectMail('after confirming', []);

      // Step 1: the report, from the public form, with a canary in each of its fields.
      const reporter = new FormClient(ctx.app, '203.0.113.9');
      const filed = await reporter.submit(`/p/${slug}/report`, `/p/${slug}/report`, {
        title: `Heap overflow ${C('report-title')}`,
        description: `The parser overflows. ${C('report-description')}`,
        affectedVersions: `1.0 to 2.3 ${C('report-versions')}`,
        reproduction: `Send a long header ${C('report-reproduction')}`,
        impact: `Code execution ${C('report-impact')}`,
        reporterName: 'Rae Reporter',
        reporterEmail: REPORTER,
        credit: 'name',
        website: '',
      });
      expect(filed.statusCode).toBe(200);
      const report = await ctx.deps.db
        .selectFrom('reports')
        .selectAll()
        .where('project_id', '=', project.id)
        .executeTakeFirstOrThrow();
      remember('id', report.id);
      await expectMail('report', [
        { to: REPORTER, subject: /Report R-.+: received/ },
        { to: MEMBER_MAIL[0] ?? '', subject: /new report/ },
        { to: MEMBER_MAIL[1] ?? '', subject: /new report/ },
      ]);
      await sweep('after the report', { componentPublic: false, contactNotified: false });

      // Step 2: triage: acknowledged, a private note, accepted into a case.
      const reportPage = `/p/${slug}/reports/${report.id}`;
      expect(
        (await fixer.submit(reportPage, `${reportPage}/acknowledge`, { message: 'Thank you, we are looking into it.' }))
          .statusCode,
      ).toBe(303);
      expect(
        (await fixer.submit(reportPage, `${reportPage}/note`, { body: `Reproduced on 2.3 ${C('note')}` })).statusCode,
      ).toBe(303);
      expect((await fixer.submit(reportPage, `${reportPage}/accept`, { message: 'We confirmed it.' })).statusCode).toBe(
        303,
      );
      const opened = await ctx.deps.db
        .selectFrom('cases')
        .selectAll()
        .where('project_id', '=', project.id)
        .executeTakeFirstOrThrow();
      const caseUrl = `/p/${slug}/cases/${opened.number}`;
      remember('number', opened.number);
      await expectMail('triage', [
        { to: REPORTER, subject: /acknowledged/ },
        { to: REPORTER, subject: /accepted/ },
      ]);

      // Step 3: the fix: Fix Lead, affected branches and package, a patch per branch approved by the
      // other member, the severity, the advisory draft.
      expect((await fixer.submit(caseUrl, `${caseUrl}/team/lead`, { userId: bo.id, reason: '' })).statusCode).toBe(303);
      for (const b of branches) {
        expect(
          (
            await fixer.submit(caseUrl, `${caseUrl}/affected/branches/${b.id}`, {
              status: 'affected',
              fixedVersion: '',
            })
          ).statusCode,
        ).toBe(303);
      }
      expect(
        (
          await fixer.submit(caseUrl, `${caseUrl}/affected/packages`, {
            ecosystem: 'npm',
            release: '',
            name: COMPONENT,
            purl: '',
          })
        ).statusCode,
      ).toBe(303);
      const pkg = await ctx.deps.db
        .selectFrom('case_packages')
        .select('id')
        .where('case_id', '=', opened.id)
        .executeTakeFirstOrThrow();
      remember('id', pkg.id);
      for (const [i, b] of branches.entries()) {
        const range = { introduced: `${i + 1}.0.0`, fixed: `${i + 1}.4.2`, lastAffected: '', branchId: b.id };
        expect((await fixer.submit(caseUrl, `${caseUrl}/affected/packages/${pkg.id}/ranges`, range)).statusCode).toBe(
          303,
        );
      }
      expect(
        (
          await fixer.submit(caseUrl, `${caseUrl}/exploitation`, {
            exploitedInTheWild: '1',
            exposure: 'some',
            source: `A vendor blog ${C('exploitation-source')}`,
            reportedOn: '2026-03-01',
            reason: 'Seen probing in honeypots.',
          })
        ).statusCode,
      ).toBe(303);
      const cvss = {
        version: '3.1',
        intent: 'save',
        reason: 'Remote code execution.',
        m_AV: 'N',
        m_AC: 'H',
        m_PR: 'N',
        m_UI: 'N',
        m_S: 'U',
        m_C: 'H',
        m_I: 'H',
        m_A: 'H',
      };
      expect((await fixer.submit(caseUrl, `${caseUrl}/cvss`, cvss)).statusCode).toBe(303);
      for (const b of branches) {
        const form = { branchId: b.id, filename: `0001-bound-parser-${b.name}.patch`, content: PATCH(b.name) };
        expect((await fixer.submit(caseUrl, `${caseUrl}/patches`, form)).statusCode).toBe(303);
      }
      const patches = await ctx.deps.db.selectFrom('patches').select('id').where('case_id', '=', opened.id).execute();
      remember('id', ...patches.map((p) => p.id));
      remember('patchId', ...patches.map((p) => p.id));
      for (const p of patches) {
        const page = `${caseUrl}/patches/${p.id}`;
        expect((await admin.submit(page, `${page}/review`, { verdict: 'approve', comment: '' })).statusCode).toBe(303);
      }
      expect((await requireCase(ctx.deps.db, project.id, opened.number)).state).toBe('fix_ready');
      const draft = {
        summary: `Heap overflow in the widget parser ${C('summary')}`,
        details: `A long header overflows a heap buffer. ${C('details')}`,
        affected: `Servers parsing untrusted input ${C('affected')}`,
        howToCheck: `Run widget --version ${C('check')}`,
        upgrade: `Install 1.4.2 or 2.4.2 ${C('upgrade')}`,
        mitigations: `Limit headers to 8 KB ${C('mitigations')}`,
        detection: `Crashes of the parser in the logs ${C('detection')}`,
        'credits.0.name': 'Rae Reporter',
        'credits.0.type': 'FINDER',
        'credits.1.name': 'Bo Fixer',
        'credits.1.type': 'REMEDIATION_DEVELOPER',
      };
      expect((await fixer.submit(`${caseUrl}/advisory`, `${caseUrl}/advisory`, draft)).statusCode).toBe(303);
      await expectMail('the fix', [
        { to: REPORTER, subject: /a Fix Team has formed/ },
        { to: REPORTER, subject: /the fix is ready/ },
      ]);
      // The canaries are there to be found: the team sees them (so the sweep's silence means something).
      expect((await fixer.get(reportPage)).body).toContain(C('report-title'));
      expect((await fixer.get(`${caseUrl}/advisory`)).body).toContain(C('summary'));
      expect((await fixer.get(`${caseUrl}/patches/${patches[0]?.id ?? ''}`)).body).toContain(C('patch-code'));
      await sweep('after the fix is ready', { componentPublic: false, contactNotified: false });

      // Step 4: the embargo, proposed at its default slot and put in force.
      expect((await fixer.submit(caseUrl, `${caseUrl}/embargo/propose`, { releaseAt: '' })).statusCode).toBe(303);
      expect((await fixer.submit(caseUrl, `${caseUrl}/embargo/activate`, {})).statusCode).toBe(303);
      const planned = await getEmbargo(ctx.deps.db, opened.id);
      if (
        !planned?.distributorNoticeAt ||
        !planned.publicNoticeAt ||
        !planned.prereleaseNoticeAt ||
        !planned.retrospectiveAt
      ) {
        throw new Error('the timeline is not planned');
      }
      await expectMail('scheduled', [{ to: REPORTER, subject: /the release is scheduled/ }]);
      const calendar = await fixer.get(`/p/${slug}/embargoes`);
      expect(calendar.body).toContain(`data-case="${opened.number}"`);
      await sweep('once scheduled', { componentPublic: false, contactNotified: false });

      // Step 5: the distributor notice: the contact's copy with both patches, acknowledged by its link.
      ctx.clock.set(planned.distributorNoticeAt);
      const noticeMail = await expectMail('distributor notice', [
        { to: CONTACT, subject: /^\[EMBARGOED\] Widget: security release/ },
        { to: MEMBER_MAIL[1] ?? '', subject: /distributors notified \(1 recipients\)/ },
      ]);
      const notice = noticeMail.find((m) => /EMBARGOED/.test(m.subject ?? ''));
      expect(notice?.attachments.map((a) => a.filename).sort()).toEqual([
        '0001-bound-parser-1.x.patch',
        '0001-bound-parser-2.x.patch',
      ]);
      expect(notice?.text).toContain(C('summary'));
      const ackPath = new URL(
        /https?:\/\/[^\s]+\/distributor\/ack\/[A-Za-z0-9_-]+/.exec(notice?.text ?? '')?.[0] ?? 'http://x/none',
      ).pathname;
      expect((await new Browser(ctx.app).submit(ackPath, ackPath, {})).statusCode).toBe(200);
      const noticeRow = await ctx.deps.db.selectFrom('distributor_notices').select('id').executeTakeFirstOrThrow();
      remember('id', noticeRow.id);
      const disclosure = await fixer.get(caseUrl);
      expect(disclosure.body).toContain('data-distributor="Debian"');
      expect(disclosure.body).toMatch(/acknowledged/);
      // The notified contact sees the draft in the portal; nobody else outside the team does (the sweep).
      if (contactUser) {
        const portal = await (await browserOf(contactUser)).get(`/distributor/notices/${noticeRow.id}`);
        expect(portal.body).toContain(C('summary'));
      }
      await sweep('after the distributor notice', { componentPublic: false, contactNotified: true });

      // Step 6: the release moves a day later, for a reason the distributor hears and the public does not.
      const later = new Date(Date.parse(planned.releaseAt) + 86_400_000).toISOString().slice(0, 16);
      expect(
        (
          await fixer.submit(caseUrl, `${caseUrl}/embargo/revise`, {
            releaseAt: later,
            reason: `Second fix needed ${C('revision-reason')}`,
          })
        ).statusCode,
      ).toBe(303);
      const revised = await getEmbargo(ctx.deps.db, opened.id);
      if (!revised?.publicNoticeAt || !revised.prereleaseNoticeAt || !revised.retrospectiveAt)
        throw new Error('not re-planned');
      expect(revised.publicNoticeAt).not.toBe(planned.publicNoticeAt);
      await expectMail('revision', [{ to: CONTACT, subject: /release moved to/ }]);

      // Step 7: the "fix forthcoming" notice: the date, severity and component, no details.
      ctx.clock.set(new Date(Date.parse(revised.publicNoticeAt) - 60_000));
      await expectMail('just before the public notice', []);
      ctx.clock.set(revised.publicNoticeAt);
      const forthcoming = await expectMail('fix forthcoming', [
        { to: SUBSCRIBER, subject: /\[security-announce\] Widget: security fix forthcoming on/ },
        { to: MEMBER_MAIL[1] ?? '', subject: /"fix forthcoming" notice published/ },
      ]);
      const copy = forthcoming.find((m) => /forthcoming on/.test(m.subject ?? ''));
      expect(copy?.text).toContain(COMPONENT);
      expect(copy?.text).toMatch(/critical|high/);
      expect(copy?.headerLines.find((h) => h.key === 'list-unsubscribe')?.line).toMatch(/lists\/unsubscribe\//);
      let feed = await ctx.app.inject({ method: 'GET', url: `/p/${slug}/announcements.atom` });
      expect(feed.body).toContain('security fix forthcoming');
      expect(feed.body).toContain(COMPONENT);
      for (const a of await ctx.deps.db.selectFrom('announcements').select('id').execute()) remember('id', a.id);
      await sweep('after the public notice', { componentPublic: true, contactNotified: true });

      // Step 8: the 24-hour notice to the distributor.
      ctx.clock.set(revised.prereleaseNoticeAt);
      await expectMail('pre-release', [
        { to: CONTACT, subject: /release in 24 hours/ },
        { to: MEMBER_MAIL[1] ?? '', subject: /24-hour notice sent to distributors/ },
      ]);
      ctx.clock.set(new Date(Date.parse(revised.releaseAt) - 1000));
      await expectMail('a second before the release', []);
      await sweep('a second before the release', { componentPublic: true, contactNotified: true });

      // Step 9: the go.
      ctx.clock.set(revised.releaseAt);
      const go = await expectMail('the go', [
        {
          to: SUBSCRIBER,
          subject: /\[security-announce\] Widget security advisory [A-Z0-9-]+-2026-0001: Heap overflow/,
        },
        { to: CONTACT, subject: /released/ },
        { to: REPORTER, subject: /the fix is released/ },
        { to: MEMBER_MAIL[1] ?? '', subject: /released: the advisory is public/ },
      ]);
      const advisory = await ctx.deps.db
        .selectFrom('advisories')
        .selectAll()
        .where('case_id', '=', opened.id)
        .executeTakeFirstOrThrow();
      expect(advisory.public_id).toMatch(/-2026-0001$/);
      remember('publicId', advisory.public_id);
      const announcement = go.find((m) => /security advisory/.test(m.subject ?? ''));
      for (const shown of ['summary', 'details', 'affected', 'check', 'upgrade', 'mitigations', 'detection']) {
        expect(announcement?.text, `the release announcement shows ${shown}`).toContain(C(shown));
      }
      expect(announcement?.text).toContain('1.4.2');
      expect(announcement?.text).toContain('Rae Reporter');
      const page = await ctx.app.inject({ method: 'GET', url: `/p/${slug}/advisories/${advisory.public_id}` });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(C('summary'));
      feed = await ctx.app.inject({ method: 'GET', url: `/p/${slug}/announcements.atom` });
      expect(feed.body).toContain(C('summary'));
      // Every format of the advisory says it now, at its stable URL (the sweep below reads them too).
      const record = JSON.parse(advisory.record ?? '{}') as AdvisoryRecord;
      const csafPath = (url: string) => /\/white\/(\d{4})\/([^/]+)$/.exec(url) ?? [];
      for (const url of [record.links.csaf, record.links.csafVex]) {
        const [, year, file] = csafPath(url);
        remember('year', year);
        remember('file', file);
      }
      for (const url of [record.links.osv, record.links.cyclonedx, record.links.csaf, record.links.csafVex]) {
        const res = await ctx.app.inject({ method: 'GET', url: new URL(url).pathname });
        expect(res.statusCode, url).toBe(200);
        expect(res.body, url).toContain(C('summary'));
      }
      expect(receiver.received.map((h) => JSON.parse(h.body).case?.state).filter(Boolean)).toContain('published');
      expect((await requireCase(ctx.deps.db, project.id, opened.number)).state).toBe('published');
      // What stays private after the go: the report, the note, the patches, the revision's reason, the source.
      const stillPrivate = ['report-', 'note', 'patch', 'revision-reason', 'exploitation-source'].map(C);
      for (const a of await ctx.deps.db.selectFrom('announcements').select('id').execute()) remember('id', a.id);
      sweepChannels(
        'after the go',
        stillPrivate.map((s) => s.replace(/-$/, '')),
        true,
      );
      expect(
        await sweepRoutes(
          'after the go',
          [C('report'), C('note'), C('patch'), C('revision-reason'), C('exploitation-source')],
          true,
        ),
      ).toBeGreaterThan(100);

      // Step 10: the retrospective.
      ctx.clock.set(revised.retrospectiveAt);
      await expectMail('retrospective', [{ to: MEMBER_MAIL[1] ?? '', subject: /the retrospective is drafted/ }]);
      const retrospective = await fixer.get(`${caseUrl}/retrospective`);
      expect(retrospective.statusCode).toBe(200);
      expect(retrospective.body).toContain('Released: the advisory is public');
      expect(retrospective.body).toContain('Distributors notified: 1 organisations, 1 recipients');
      await expectMail('nothing after', []);
    },
  );
});
