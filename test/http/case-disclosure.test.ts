import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { activateEmbargo, getEmbargo, proposeEmbargo } from '../../src/domain/cases/embargo.service.js';
import { requireCase } from '../../src/domain/cases/cases.service.js';
import type { Case } from '../../src/domain/cases/cases.js';
import { inviteCollaborator } from '../../src/domain/cases/collaborators.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { ADVISORY, makeDistributor, makeList, move, readyCase, SYSTEM } from '../support/disclosure.js';
import { Browser, makeProject, makeUser } from '../support/factories.js';
import { createSession } from '../../src/domain/users/sessions.service.js';
import { SESSION_COOKIE } from '../../src/http/plugins/auth.js';
import { errorCode } from '../support/intake.js';
import { signedIn, testWorker } from '../mail/support.js';

// The disclosure on the case page and over the API: the advisory draft, the distributors' notices
// (who received what and acknowledged), the announcements and their previews, the go's controls and
// the retrospective.

describe.each(engines())('case disclosure pages and API on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let lead: User;
  let member: Browser;
  let token: string;

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);
  const drain = async () => {
    const worker = testWorker(ctx);
    while ((await worker.runDue()) > 0) {
      // a job may enqueue more
    }
  };
  const api = (method: 'GET' | 'PUT' | 'POST', url: string, body?: unknown) =>
    ctx.app.inject({
      method,
      url,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  const caseUrl = (c: Pick<Case, 'number'>) => `/p/${project.slug}/cases/${c.number}`;
  const by = (c: Case) => ({ actor: actorOf(lead, project, 'admin'), origin: noOrigin, theCase: c });
  const schedule = async (c: Case) => {
    await tx((trx) => proposeEmbargo(trx, ctx.deps, by(c)));
    await tx((trx) => activateEmbargo(trx, ctx.deps, by(c)));
    const embargo = await getEmbargo(ctx.deps.db, c.id);
    if (!embargo) throw new Error('no embargo');
    return embargo;
  };

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Widget' });
    lead = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin', name: 'Lea Lead' });
    token = (
      await tx((trx) =>
        createApiToken(trx, ctx.deps, { actor: actorOfUser(lead), origin: noOrigin, name: 'test', expiresInDays: 30 }),
      )
    ).token;
  });
  afterAll(() => ctx.close());
  // Tests move the clock by days and weeks: each starts with a session that outlasts them.
  const longSession = async (user: User) => {
    const browser = new Browser(ctx.app);
    browser.jar[SESSION_COOKIE] = await tx((trx) =>
      createSession(trx, ctx.clock, { userId: user.id, days: 90, origin: noOrigin }),
    );
    return browser;
  };
  beforeEach(async () => {
    member = await longSession(lead);
  });

  it('writes the advisory draft on its page, keeps refused input, and audits the read', async () => {
    const c = await makeCase(ctx, project, SYSTEM, 'Secret title of the case');
    const page = await member.get(`${caseUrl(c)}/advisory`);
    expect(page.statusCode).toBe(200);
    // A new draft starts with the reporter's credit (makeReport reports as Ada Reporter, by name).
    expect(page.body).toContain('value="Ada Reporter"');
    const saved = await member.submit(`${caseUrl(c)}/advisory`, `${caseUrl(c)}/advisory`, {
      summary: 'Overflow in parse()',
      details: 'It overflows.',
      affected: '',
      howToCheck: '',
      upgrade: '',
      mitigations: 'Limit input size.',
      detection: '',
      'credits.0.name': 'Ada Reporter',
      'credits.0.type': 'FINDER',
      'credits.1.name': 'Lea Lead',
      'credits.1.type': 'REMEDIATION_DEVELOPER',
      'credits.2.name': '',
    });
    expect(saved.statusCode).toBe(303);
    const api1 = await api('GET', `/api/v1/projects/${project.slug}/cases/${c.number}/advisory`);
    expect(api1.json().advisory).toMatchObject({
      summary: 'Overflow in parse()',
      mitigations: 'Limit input size.',
      credits: [
        { name: 'Ada Reporter', type: 'FINDER' },
        { name: 'Lea Lead', type: 'REMEDIATION_DEVELOPER' },
      ],
      publicId: null,
    });
    // A summary of two lines is refused; what was typed is shown again.
    const refused = await member.submit(`${caseUrl(c)}/advisory`, `${caseUrl(c)}/advisory`, {
      summary: 'one\ntwo',
      details: 'Kept text',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Kept text');
    expect(refused.body).toContain('data-code="VALIDATION_FAILED"');
    expect(
      (await api('GET', `/api/v1/projects/${project.slug}/cases/${c.number}/advisory`)).json().advisory.summary,
    ).toBe('Overflow in parse()');
    const reads = await ctx.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('subject_id', '=', c.id)
      .where('action', 'in', ['case.viewed', 'case.advisory_drafted'])
      .execute();
    expect(reads.map((r) => r.action)).toContain('case.advisory_drafted');
    expect(reads.filter((r) => r.action === 'case.viewed').length).toBeGreaterThanOrEqual(3);
    // The audit log names the fields changed, never their text.
    const detail = await ctx.deps.db
      .selectFrom('audit_log')
      .select('detail')
      .where('action', '=', 'case.advisory_drafted')
      .where('subject_id', '=', c.id)
      .executeTakeFirstOrThrow();
    expect(detail.detail).not.toContain('Overflow');
  });

  it('shows a collaborator the draft read-only and refuses their save', async () => {
    const c = await makeCase(ctx, project, SYSTEM);
    const { collaborator } = await tx((trx) =>
      inviteCollaborator(trx, ctx.deps, { ...by(c), email: `collab-${engine}@upstream.example` }),
    );
    const user = (await ctx.deps.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', collaborator.userId)
      .executeTakeFirstOrThrow()) as never;
    const outsider = await signedIn(ctx, user);
    const page = await outsider.get(`${caseUrl(c)}/advisory`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('Save the draft');
    const post = await outsider.submit(`${caseUrl(c)}/advisory`, `${caseUrl(c)}/advisory`, { summary: 'x' });
    expect(post.statusCode).toBe(404);
    // The disclosure section (distributors' contacts) is not theirs.
    expect((await outsider.get(caseUrl(c))).body).not.toContain('id="disclosure"');
  });

  it('needs the summary to put the embargo in force', async () => {
    const c = await makeCase(ctx, project, SYSTEM);
    await move(ctx, c, 'start_fix');
    await move(ctx, c, 'fix_ready');
    await member.submit(caseUrl(c), `${caseUrl(c)}/embargo/propose`, { releaseAt: '' });
    const refused = await member.submit(caseUrl(c), `${caseUrl(c)}/embargo/activate`, {});
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Write the advisory draft');
    expect((await requireCase(ctx.deps.db, project.id, c.number)).state).toBe('fix_ready');
  });

  it('shows who received what, previews the notices, notifies late distributors, and the API agrees', async () => {
    await makeDistributor(ctx, project, { name: 'Alpine', contacts: [{ email: `alpine-${engine}@distro.example` }] });
    await makeList(ctx, project, { name: 'security-announce', subscribers: ['u1@users.example'] });
    const { theCase } = await readyCase(ctx, project, lead, { title: 'Title never in a preview' });
    const embargo = await schedule(theCase);

    const forthcoming = await member.get(`${caseUrl(theCase)}/announcements/preview/fix_forthcoming`);
    expect(forthcoming.statusCode).toBe(200);
    expect(forthcoming.body).toContain('widget-parser (npm)');
    expect(forthcoming.body).not.toContain(ADVISORY.summary);
    expect(forthcoming.body).not.toContain('Title never in a preview');
    const release = await member.get(`${caseUrl(theCase)}/announcements/preview/release`);
    expect(release.body).toContain(ADVISORY.summary);
    expect(release.body).toContain('How to detect exploitation');

    ctx.clock.set(embargo.distributorNoticeAt ?? '');
    await drain();
    let page = await member.get(caseUrl(theCase));
    expect(page.body).toContain('data-distributor="Alpine"');
    expect(page.body).toContain(`data-recipient="alpine-${engine}@distro.example"`);
    expect(page.body).toMatch(/0001-fix-1\.\w\w\.patch/);
    expect(page.body).toContain('not acknowledged');
    expect(page.body).not.toContain('data-notify-rest');

    // A distributor that joins after the notice can be told with a button.
    await makeDistributor(ctx, project, { name: 'Gentoo', contacts: [{ email: `gentoo-${engine}@distro.example` }] });
    page = await member.get(caseUrl(theCase));
    expect(page.body).toContain('data-notify-rest');
    const notified = await member.submit(caseUrl(theCase), `${caseUrl(theCase)}/distributors/notify`, {});
    expect(notified.statusCode).toBe(303);
    const disclosure = (await api('GET', `/api/v1/projects/${project.slug}/cases/${theCase.number}/disclosure`)).json();
    expect(disclosure.notices.map((n: { distributor: string }) => n.distributor).sort()).toEqual(['Alpine', 'Gentoo']);
    expect(disclosure.notices[0].patches).toHaveLength(2);
    expect(disclosure.done.distributorNotice).not.toBeNull();
    expect(disclosure.done.release).toBeNull();

    // Told once: the button is gone and a second post notifies nobody.
    expect((await member.get(caseUrl(theCase))).body).not.toContain('data-notify-rest');
  });

  it('cancels the go from the page, and releases at once after a break', async () => {
    const { theCase } = await readyCase(ctx, project, lead);
    const embargo = await schedule(theCase);
    const cancelled = await member.submit(caseUrl(theCase), `${caseUrl(theCase)}/embargo/cancel`, {
      reason: 'Regression.',
    });
    expect(cancelled.statusCode).toBe(303);
    expect((await requireCase(ctx.deps.db, project.id, theCase.number)).state).toBe('fix_ready');
    ctx.clock.set(embargo.releaseAt);
    await drain();
    expect((await requireCase(ctx.deps.db, project.id, theCase.number)).state).toBe('fix_ready');

    // Release now only for a broken embargo.
    const early = await api('POST', `/api/v1/projects/${project.slug}/cases/${theCase.number}/release`, {
      action: 'now',
    });
    expect(early.statusCode).toBe(409);
    expect(errorCode(early)).toBe('INVALID_TRANSITION');
    await move(ctx, theCase, 'break_embargo', SYSTEM, 'Exploited in the wild.');
    const now = await member.submit(caseUrl(theCase), `${caseUrl(theCase)}/embargo/release-now`, {});
    expect(now.statusCode).toBe(303);
    await drain();
    const published = await requireCase(ctx.deps.db, project.id, theCase.number);
    expect(published.state).toBe('published');
    const page = await member.get(caseUrl(theCase));
    expect(page.body).toMatch(/data-advisory-public="[A-Z0-9-]+-\d{4}-\d{4}"/);
  });

  it('drafts the retrospective after the release and lets the team edit it', async () => {
    const { theCase } = await readyCase(ctx, project, lead);
    const embargo = await schedule(theCase);
    expect((await member.get(`${caseUrl(theCase)}/retrospective`)).statusCode).toBe(404);
    ctx.clock.set(embargo.releaseAt);
    await drain();
    ctx.clock.set(embargo.retrospectiveAt ?? '');
    await drain();
    const page = await member.get(`${caseUrl(theCase)}/retrospective`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Clocks');
    const edited = await member.submit(`${caseUrl(theCase)}/retrospective`, `${caseUrl(theCase)}/retrospective`, {
      body: '# Retrospective\n\nWent well.',
    });
    expect(edited.statusCode).toBe(303);
    const viaApi = await api('GET', `/api/v1/projects/${project.slug}/cases/${theCase.number}/retrospective`);
    expect(viaApi.json().retrospective.body).toBe('# Retrospective\n\nWent well.');
    const put = await api('PUT', `/api/v1/projects/${project.slug}/cases/${theCase.number}/retrospective`, {
      body: '',
    });
    expect(put.statusCode).toBe(400);
  });

  it("lists every embargo of the member's projects on one calendar", async () => {
    const second = await makeProject(ctx.deps.db, ctx.clock, { name: 'Gadget' });
    const other = await makeProject(ctx.deps.db, ctx.clock, { name: 'Not mine' });
    await tx(async (trx) => {
      const { addMember } = await import('../../src/domain/projects/projects.service.js');
      await addMember(trx, ctx.clock, { projectId: second.id, userId: lead.id, role: 'security' });
    });
    const stranger = await makeUser(ctx.deps.db, ctx.clock, { project: other, role: 'admin' });
    const a = await readyCase(ctx, second, lead);
    await tx((trx) => proposeEmbargo(trx, ctx.deps, { ...by(a.theCase), actor: actorOf(lead, second) }));
    const b = await readyCase(ctx, other, stranger);
    await tx((trx) =>
      proposeEmbargo(trx, ctx.deps, { actor: actorOf(stranger, other), origin: noOrigin, theCase: b.theCase }),
    );
    const calendar = await (await signedIn(ctx, { ...lead })).get('/embargoes');
    expect(calendar.statusCode).toBe(200);
    expect(calendar.body).toContain(`data-case="${second.slug}#${a.theCase.number}"`);
    expect(calendar.body).not.toContain(other.slug);
    expect(calendar.body).not.toContain('Not mine');
  });
});
