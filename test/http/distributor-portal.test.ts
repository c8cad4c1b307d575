import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { DAY_MS } from '../../src/clock.js';
import {
  activateEmbargo,
  type Embargo,
  getEmbargo,
  proposeEmbargo,
  reviseEmbargo,
} from '../../src/domain/cases/embargo.service.js';
import type { Distributor } from '../../src/domain/distributors/distributors.js';
import { removeContact, requireDistributor } from '../../src/domain/distributors/distributors.service.js';
import { caseNotices } from '../../src/domain/distributors/notices.service.js';
import { DEFAULT_TERMS, updateProgram } from '../../src/domain/distributors/program.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import type { User } from '../../src/domain/users/users.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { ADVISORY, makeDistributor, readyCase, type ReadyCase, SYSTEM } from '../support/disclosure.js';
import { Browser, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode } from '../support/intake.js';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp.js';
import { signedIn, testWorker } from '../mail/support.js';

// The distributor portal: real notices (a case brought to fix_ready, its embargo put in force, the
// notice step run by the worker at its time), read by the contacts they were sent to and by no one else.

describe.each(engines())('the distributor portal on %s', (engine) => {
  let ctx: TestContext;
  let smtp: SmtpCapture;
  let project: Project;
  let lead: User;
  let alice: User; // Debian
  let ann: User; // Debian
  let bob: User; // Fedora, the same project
  let debian: Distributor;
  let fedora: Distributor;

  beforeEach(async () => {
    smtp = await startSmtpCapture();
    ctx = await createTestContext(engine, { env: { EMBARGO_SMTP_URL: smtp.url } });
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Widget' });
    lead = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin', email: 'lead@widget.example' });
    const contact = (email: string, name: string) => makeUser(ctx.deps.db, ctx.clock, { email, name });
    alice = await contact('alice@debian.example', 'Alice');
    ann = await contact('ann@debian.example', 'Ann');
    bob = await contact('bob@fedora.example', 'Bob');
    debian = await makeDistributor(ctx, project, {
      name: 'Debian',
      contacts: [{ email: alice.email }, { email: ann.email }],
    });
    fedora = await makeDistributor(ctx, project, { name: 'Fedora', contacts: [{ email: bob.email }] });
  });
  afterEach(async () => {
    await ctx.close();
    await smtp.close();
  });

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);
  const adminBy = () => ({ actor: actorOf(lead, project, 'admin'), origin: noOrigin });

  async function drain(): Promise<void> {
    const worker = testWorker(ctx);
    while ((await worker.runDue()) > 0) {
      // a job may enqueue more
    }
  }

  /** A case at fix_ready with its embargo in force; the notice is still to come. */
  async function scheduled(): Promise<{ ready: ReadyCase; embargo: Embargo }> {
    const ready = await readyCase(ctx, project, lead);
    const by = { ...adminBy(), theCase: ready.theCase };
    await tx((trx) => proposeEmbargo(trx, ctx.deps, by));
    await tx((trx) => activateEmbargo(trx, ctx.deps, by));
    const embargo = await getEmbargo(ctx.deps.db, ready.theCase.id);
    if (!embargo?.distributorNoticeAt) throw new Error('no distributor notice planned');
    return { ready, embargo };
  }

  /** Moves the clock to the distributor notice and runs the jobs; returns the notice of each distributor. */
  async function notify(embargo: Embargo): Promise<Record<string, string>> {
    ctx.clock.set(embargo.distributorNoticeAt ?? '');
    await drain();
    const rows = await ctx.deps.db
      .selectFrom('distributor_notices')
      .select(['id', 'distributor_id'])
      .where('case_id', '=', embargo.caseId)
      .execute();
    return Object.fromEntries(rows.map((r) => [r.distributor_id, r.id]));
  }

  const auditRows = (action: string) =>
    ctx.deps.db
      .selectFrom('audit_log')
      .select(['actor_label', 'subject_id', 'detail'])
      .where('action', '=', action)
      .orderBy('at')
      .execute();

  const recipientOf = (noticeId: string, email: string) =>
    ctx.deps.db
      .selectFrom('distributor_recipients')
      .select(['id', 'acknowledged_at', 'acknowledged_by'])
      .where('notice_id', '=', noticeId)
      .where('email', '=', email)
      .executeTakeFirstOrThrow();

  /** The one-time link of the notice mail `to` received over SMTP, as a path. */
  function ackPathFromMail(to: string): string {
    const i = smtp.recipients.findIndex(
      (r, n) => r.includes(to) && /^\[EMBARGOED\]/.test(smtp.messages[n]?.subject ?? ''),
    );
    const text = smtp.messages[i]?.text ?? '';
    const url = /http:\/\/localhost:8080(\/distributor\/ack\/[A-Za-z0-9_-]+)/.exec(text)?.[1];
    if (!url) throw new Error(`no acknowledgement link in the mail to ${to}`);
    return url;
  }

  it('shows nothing before the notice time, then the notice as sent with both patches, and audits the reads', async () => {
    const { ready, embargo } = await scheduled();
    await drain();
    expect(ctx.clock.now().getTime()).toBeLessThan(Date.parse(embargo.distributorNoticeAt ?? ''));
    const early = await signedIn(ctx, alice);
    const before = await early.get('/distributor');
    expect(before.statusCode).toBe(200);
    expect(before.body).toContain('data-no-notices');
    expect(before.body).not.toContain(ADVISORY.summary);
    // The header links to the portal for a contact.
    expect(before.body).toContain('href="/distributor">Distributor portal</a>');
    expect(await caseNotices(ctx.deps.db, ready.theCase.id)).toEqual([]);
    expect((await early.get(`/distributor/notices/${crypto.randomUUID()}`)).statusCode).toBe(404);

    const notices = await notify(embargo);
    const noticeId = notices[debian.id] ?? '';
    expect(noticeId).not.toBe('');
    const browser = await signedIn(ctx, alice);
    const listed = await browser.get('/distributor');
    expect(listed.body).toContain(`data-notice="${noticeId}"`);
    expect(listed.body).not.toContain(`data-notice="${notices[fedora.id]}"`);
    expect(listed.body).toContain(`Case ${ready.theCase.number}`);
    expect(listed.body).toContain('data-acknowledged="no"');
    expect(listed.body).toContain('data-released="no"');
    // The list carries no embargoed text, so reading it is not an audited read.
    expect(listed.body).not.toContain(ADVISORY.summary);
    expect(await auditRows('distributor.notice_viewed')).toEqual([]);

    const page = await browser.get(`/distributor/notices/${noticeId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-banner="embargoed"');
    expect(page.body).toContain(`<time datetime="${embargo.releaseAt}" data-local-time>`);
    expect(page.body).toContain('/assets/local-time.js');
    expect(page.body).toContain(ADVISORY.summary);
    // Markdown rendered, and escaped.
    expect(page.body).toContain('<code>parse()</code>');
    expect(page.body).toContain(ADVISORY.mitigations);
    expect(page.body).toContain('Ada Reporter (finder)');
    expect(page.body).toContain('1.4.2');
    expect(page.body).toContain('Acknowledge receipt');
    const patches = await ctx.deps.db
      .selectFrom('patches')
      .select(['id', 'filename', 'sha256', 'content'])
      .where('case_id', '=', ready.theCase.id)
      .execute();
    expect(patches).toHaveLength(2);
    for (const p of patches) {
      expect(page.body).toContain(p.filename);
      expect(page.body).toContain(p.sha256);
      expect(page.body).toContain(`href="/distributor/notices/${noticeId}/patches/${p.id}"`);
    }
    const viewed = await auditRows('distributor.notice_viewed');
    expect(viewed).toHaveLength(1);
    expect(viewed[0]?.actor_label).toBe(alice.email);
    expect(viewed[0]?.subject_id).toBe(ready.theCase.id);
    expect(JSON.parse(viewed[0]?.detail ?? '{}')).toEqual({ noticeId, distributorId: debian.id });

    const [first] = patches;
    const download = await browser.get(`/distributor/notices/${noticeId}/patches/${first?.id}`);
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(Buffer.from(first?.content ?? '', 'utf8'))).toBe(true);
    expect(Object.values(ready.patches)).toContain(download.body);
    expect(download.headers['content-disposition']).toBe(`attachment; filename*=UTF-8''${first?.filename}`);
    expect(download.headers['content-security-policy']).toBe('sandbox');
    const downloaded = await auditRows('distributor.patch_downloaded');
    expect(downloaded.map((r) => [r.actor_label, JSON.parse(r.detail ?? '{}').patchId])).toEqual([
      [alice.email, first?.id],
    ]);
    // Ids only in the audit log, never the advisory's words.
    for (const r of [...viewed, ...downloaded]) expect(r.detail).not.toContain('overflow');
  });

  it('shows a moved release, then after the go the notice as released with the public advisory', async () => {
    const { ready, embargo } = await scheduled();
    const noticeId = (await notify(embargo))[debian.id] ?? '';
    const later = new Date(Date.parse(embargo.releaseAt) + DAY_MS).toISOString();
    await tx((trx) =>
      reviseEmbargo(trx, ctx.deps, {
        ...adminBy(),
        theCase: ready.theCase,
        releaseAt: later,
        reason: 'A second fix is coming.',
      }),
    );
    await drain();
    const moved = await (await signedIn(ctx, alice)).get(`/distributor/notices/${noticeId}`);
    expect(moved.body).toContain(`Embargoed until <time datetime="${later}" data-local-time>`);
    expect(moved.body).toContain(`the notice said <time datetime="${embargo.releaseAt}" data-local-time>`);
    expect(moved.body).toContain('data-message="revision"');

    ctx.clock.set(later);
    await drain();
    const advisory = await ctx.deps.db
      .selectFrom('advisories')
      .select(['public_id', 'published_at'])
      .where('case_id', '=', ready.theCase.id)
      .executeTakeFirstOrThrow();
    expect(advisory.published_at).not.toBeNull();
    const browser = await signedIn(ctx, alice);
    const page = await browser.get(`/distributor/notices/${noticeId}`);
    expect(page.body).toContain('data-banner="released"');
    expect(page.body).toContain(`href="/p/${project.slug}/advisories/${advisory.public_id}"`);
    expect(page.body).not.toContain('Embargoed until');
    expect(page.body).toContain('data-message="released"');
    expect((await browser.get('/distributor')).body).toContain('data-released="yes"');
  });

  it('keeps a notice from everyone but its own distributor’s contacts', async () => {
    const { embargo } = await scheduled();
    const other = await readyCase(ctx, project, lead, { packageName: 'widget-other' });
    const notices = await notify(embargo);
    const noticeId = notices[debian.id] ?? '';
    const snapshotPatch = (await caseNotices(ctx.deps.db, embargo.caseId))[0]?.snapshot.patches[0]?.id;
    const strayPatch = await ctx.deps.db
      .selectFrom('patches')
      .select('id')
      .where('case_id', '=', other.theCase.id)
      .executeTakeFirstOrThrow();
    const outsider = await makeUser(ctx.deps.db, ctx.clock, { email: 'eve@elsewhere.example' });

    const urls = [
      `/distributor/notices/${noticeId}`,
      `/distributor/notices/${noticeId}/patches/${snapshotPatch}`,
      `/distributor/terms/${debian.id}`,
    ];
    for (const user of [bob, lead, outsider]) {
      const browser = await signedIn(ctx, user);
      for (const url of urls) {
        const res = await browser.get(url);
        expect(res.statusCode, `${user.email} ${url}`).toBe(404);
        expect(res.body).not.toContain(ADVISORY.summary);
      }
      const ack = await browser.submit('/distributor', `/distributor/notices/${noticeId}/ack`, {});
      expect(ack.statusCode).toBe(404);
      expect((await browser.get('/distributor')).body).not.toContain(noticeId);
    }
    // Only a contact sees the portal link in the header.
    expect((await (await signedIn(ctx, outsider)).get('/distributor')).body).not.toContain('Distributor portal</a>');
    expect((await recipientOf(noticeId, alice.email)).acknowledged_at).toBeNull();

    const browser = await signedIn(ctx, alice);
    expect((await browser.get(`/distributor/notices/${noticeId}/patches/${strayPatch.id}`)).statusCode).toBe(404);
    expect((await browser.get(`/distributor/notices/${noticeId}/patches/${crypto.randomUUID()}`)).statusCode).toBe(404);
    expect((await browser.get(`/distributor/notices/${notices[fedora.id]}`)).statusCode).toBe(404);
    expect((await browser.get(`/distributor/notices/${noticeId}/patches/${snapshotPatch}`)).statusCode).toBe(200);
    expect(await auditRows('distributor.patch_downloaded')).toHaveLength(1);

    // Signed out: to the sign-in page, nothing shown.
    const anonymous = await new Browser(ctx.app).get(`/distributor/notices/${noticeId}`);
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toMatch(/^\/login\?next=/);
  });

  it('ends a removed contact’s access at their next request', async () => {
    const { embargo } = await scheduled();
    const noticeId = (await notify(embargo))[debian.id] ?? '';
    const browser = await signedIn(ctx, alice);
    expect((await browser.get(`/distributor/notices/${noticeId}`)).statusCode).toBe(200);
    const contact = (await requireDistributor(ctx.deps.db, project.id, debian.id)).contacts.find(
      (c) => c.email === alice.email,
    );
    await tx((trx) =>
      removeContact(trx, ctx.deps, {
        by: adminBy(),
        projectId: project.id,
        distributorId: debian.id,
        contactId: contact?.id ?? '',
      }),
    );
    expect((await browser.get(`/distributor/notices/${noticeId}`)).statusCode).toBe(404);
    const patch = (await caseNotices(ctx.deps.db, embargo.caseId))[0]?.snapshot.patches[0]?.id;
    expect((await browser.get(`/distributor/notices/${noticeId}/patches/${patch}`)).statusCode).toBe(404);
    const portal = await browser.get('/distributor');
    expect(portal.statusCode).toBe(200);
    expect(portal.body).toContain('data-no-notices');
    expect(portal.body).not.toContain('Distributor portal</a>');
    // The other contact of the organisation keeps it.
    expect((await (await signedIn(ctx, ann)).get(`/distributor/notices/${noticeId}`)).statusCode).toBe(200);
  });

  it('records an acknowledgement by the mail’s one-time link once, without signing in', async () => {
    const { embargo } = await scheduled();
    const noticeId = (await notify(embargo))[debian.id] ?? '';
    const path = ackPathFromMail(alice.email);
    const token = path.split('/').at(-1) ?? '';
    const visitor = new Browser(ctx.app);

    const shown = await visitor.get(path);
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('Of the notice from Widget to Debian');
    expect(shown.body).toContain('<button type="submit">Acknowledge receipt</button>');
    expect(shown.body).not.toContain(ADVISORY.summary);
    expect((await recipientOf(noticeId, alice.email)).acknowledged_at).toBeNull();

    const posted = await visitor.submit(path, path, {});
    expect(posted.statusCode).toBe(200);
    expect(posted.body).toContain('data-outcome="recorded"');
    const acked = await recipientOf(noticeId, alice.email);
    expect(acked.acknowledged_at).toBe(ctx.clock.now().toISOString());
    expect(acked.acknowledged_by).toBe(`${alice.email} (link in the notice)`);
    expect(await auditRows('distributor.notice_acknowledged')).toHaveLength(1);

    ctx.clock.advance(60_000);
    const csrf = csrfFrom(shown.body);
    const again = await visitor.post(path, { _csrf: csrf });
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('data-outcome="already"');
    expect(await recipientOf(noticeId, alice.email)).toEqual(acked);
    expect(await auditRows('distributor.notice_acknowledged')).toHaveLength(1);
    // Ann's own copy is not acknowledged by Alice's link.
    expect((await recipientOf(noticeId, ann.email)).acknowledged_at).toBeNull();

    const [notice] = (await caseNotices(ctx.deps.db, embargo.caseId)).filter((n) => n.distributorId === debian.id);
    expect(notice?.acknowledgedAt).toBe(acked.acknowledged_at);
    expect(notice?.recipients.find((r) => r.email === alice.email)?.acknowledgedBy).toBe(acked.acknowledged_by);
    expect((await (await signedIn(ctx, alice)).get('/distributor')).body).toContain('data-acknowledged="yes"');

    const wrong = `/distributor/ack/${crypto.randomBytes(32).toString('base64url')}`;
    const missing = await visitor.get(wrong);
    expect(missing.statusCode).toBe(404);
    expect(errorCode(missing)).toBe('SETUP_TOKEN_INVALID');
    expect((await visitor.post(wrong, { _csrf: csrf })).statusCode).toBe(404);
    // The token is a credential: it is never logged.
    expect(ctx.logs()).not.toContain(token);
  });

  it('acknowledges in the portal, for the signed-in contact’s own copy', async () => {
    const { embargo } = await scheduled();
    const noticeId = (await notify(embargo))[debian.id] ?? '';
    // Through the real sign-in form this time (makeUser gave Ann a password).
    const browser = new Browser(ctx.app);
    await login(browser, ann.email);
    const url = `/distributor/notices/${noticeId}`;
    const res = await browser.submit(url, `${url}/ack`, {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(url);
    const mine = await recipientOf(noticeId, ann.email);
    expect(mine.acknowledged_by).toBe(`${ann.email} (portal)`);
    expect((await recipientOf(noticeId, alice.email)).acknowledged_at).toBeNull();
    const page = await browser.get(url);
    expect(page.body).toContain('data-acknowledged="yes"');
    expect(page.body).not.toContain('<button type="submit">Acknowledge receipt</button>');
    // A second click changes nothing.
    await browser.submit('/distributor', `${url}/ack`, {});
    expect(await recipientOf(noticeId, ann.email)).toEqual(mine);
    expect((await caseNotices(ctx.deps.db, embargo.caseId)).find((n) => n.id === noticeId)?.acknowledgedAt).toBe(
      mine.acknowledged_at,
    );
  });

  it('records the acceptance of the current terms, and asks again when the terms change', async () => {
    const carol = await makeUser(ctx.deps.db, ctx.clock, { email: 'carol@arch.example', name: 'Carol' });
    const arch = await makeDistributor(ctx, project, {
      name: 'Arch',
      contacts: [{ email: carol.email }],
      accepted: false,
    });
    const browser = await signedIn(ctx, carol);
    const termsUrl = `/distributor/terms/${arch.id}`;
    const portal = await browser.get('/distributor');
    expect(portal.body).toContain('data-accepted="no"');
    expect(portal.body).toContain(`href="${termsUrl}"`);

    const page = await browser.get(termsUrl);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Version 1');
    expect(page.body).toContain('By accepting, the distributor agrees:');
    expect(DEFAULT_TERMS).toContain('By accepting, the distributor agrees:');
    const accepted = await browser.submit(termsUrl, termsUrl, { version: '1' });
    expect(accepted.statusCode).toBe(303);
    expect(accepted.headers.location).toBe(termsUrl);
    const rows = () =>
      ctx.deps.db
        .selectFrom('distributor_acceptances')
        .select(['terms_version', 'user_id', 'label'])
        .where('distributor_id', '=', arch.id)
        .orderBy('accepted_at')
        .execute();
    expect(await rows()).toEqual([{ terms_version: 1, user_id: carol.id, label: carol.email }]);
    expect((await browser.get('/distributor')).body).toContain('data-accepted="yes"');
    expect((await browser.get(termsUrl)).body).not.toContain('Accept version');
    // A repeated click records nothing more.
    expect((await browser.submit(termsUrl, termsUrl, { version: '1' })).statusCode).toBe(303);
    expect(await rows()).toHaveLength(1);

    ctx.clock.advance(60_000);
    await tx((trx) =>
      updateProgram(trx, ctx.deps, {
        by: { actor: SYSTEM, origin: noOrigin },
        projectId: project.id,
        criteria: 'Ship the project.',
        terms: 'New terms: **publish nothing** before the release.',
      }),
    );
    const after = await browser.get('/distributor');
    expect(after.body).toContain('data-accepted="no"');
    expect(after.body).toContain('version 1 was; the terms are now at version 2');
    const renewed = await browser.get(termsUrl);
    expect(renewed.body).toContain('<strong>publish nothing</strong>');
    expect(renewed.body).toContain('Accept version 2 for Arch');
    // Accepting the version read before the change accepts nothing: the new one is shown to be read.
    const stale = await browser.submit(termsUrl, termsUrl, { version: '1' });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('data-code="CONFLICT"');
    expect(stale.body).toContain('<strong>publish nothing</strong>');
    expect(await rows()).toHaveLength(1);
    expect((await browser.submit(termsUrl, termsUrl, { version: '2' })).statusCode).toBe(303);
    expect((await rows()).map((r) => r.terms_version)).toEqual([1, 2]);
    expect((await browser.get('/distributor')).body).toContain('data-accepted="yes"');
  });
});
