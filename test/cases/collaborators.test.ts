import { renderToString } from 'preact-render-to-string';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noOrigin } from '../../src/domain/audit/audit.js';
import type { Case } from '../../src/domain/cases/cases.js';
import { casesSharedWith, listCollaborators } from '../../src/domain/cases/collaborators.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { inviteUser } from '../../src/domain/users/user-admin.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { caseGrantsOfUser } from '../../src/domain/users/users.repository.js';
import { CollaboratorsSection, SharedCasesList } from '../../src/http/pages/case-collaborators.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { Browser, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode } from '../support/intake.js';

// External collaborators over HTTP, as a member invites them and as they then use the instance.

/** The value, or a failed test saying what was missing. */
function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}`);
  return value;
}

describe.each(engines())('external collaborators of a case on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let otherProject: Project;
  let member: User;
  let team: Browser;
  let caseA: Case;
  let caseB: Case;
  let caseOther: Case;
  const TITLE_A = 'Use-after-free in the TLS resumption cache';

  const caseUrl = (p: Project, c: Case) => `/p/${p.slug}/cases/${c.number}`;
  const inviteUrl = (c: Case) => `${caseUrl(project, c)}/collaborators`;

  /** Posts a form as `browser` with a CSRF token from the page `from` (which the browser can load). */
  const send = async (browser: Browser, from: string, action: string, form: Record<string, string> = {}) => {
    const page = await browser.get(from);
    return browser.post(action, { _csrf: csrfFrom(page.body), ...form });
  };
  const invite = (c: Case, form: Record<string, string>) => send(team, caseUrl(project, c), inviteUrl(c), form);
  const grants = (c: Case, userId: string) =>
    ctx.deps.db
      .selectFrom('case_collaborators')
      .selectAll()
      .where('case_id', '=', c.id)
      .where('user_id', '=', userId)
      .orderBy('invited_at')
      .execute();
  const liveGrant = async (c: Case, userId: string) => {
    const live = (await grants(c, userId)).filter((g) => g.revoked_at === null);
    expect(live).toHaveLength(1);
    return present(live[0], 'a live grant');
  };
  const mailTo = (address: string) =>
    ctx.deps.db.selectFrom('outbound_emails').selectAll().where('to_address', '=', address).execute();
  const historyOf = (c: Case, change: string) =>
    ctx.deps.db
      .selectFrom('case_history')
      .selectAll()
      .where('case_id', '=', c.id)
      .where('change', '=', change)
      .execute();
  const auditOf = (c: Case, action: string) =>
    ctx.deps.db
      .selectFrom('audit_log')
      .selectAll()
      .where('subject_id', '=', c.id)
      .where('action', '=', action)
      .execute();
  const bearerOf = async (user: User) =>
    (
      await ctx.deps.db.transaction().execute((trx) =>
        createApiToken(trx, ctx.deps, {
          actor: actorOfUser(user),
          origin: noOrigin,
          name: 'collaborator test',
          expiresInDays: 30,
        }),
      )
    ).token;
  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, bearer: string, body?: unknown) =>
    ctx.app.inject({
      method,
      url,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  /** A new account outside the project, signed in. */
  const outsider = async () => {
    const user = await makeUser(ctx.deps.db, ctx.clock, { name: 'Olga Outside' });
    const browser = new Browser(ctx.app);
    await login(browser, user.email);
    return { user, browser };
  };

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Collab Project' });
    otherProject = await makeProject(ctx.deps.db, ctx.clock, { name: 'Elsewhere' });
    member = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' });
    caseA = await makeCase(ctx, project, actorOf(member, project), TITLE_A);
    caseB = await makeCase(ctx, project, actorOf(member, project), 'Second secret case');
    caseOther = await makeCase(ctx, otherProject, undefined, 'Another project secret');
    team = new Browser(ctx.app);
    await login(team, member.email);
  });
  afterAll(() => ctx.close());

  it('grants an existing account access to one case, recorded in the history and the audit log', async () => {
    const { user, browser } = await outsider();
    expect((await browser.get(caseUrl(project, caseA))).statusCode).toBe(404);

    const res = await invite(caseA, { email: user.email.toUpperCase(), name: 'Ignored For Existing' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${caseUrl(project, caseA)}#collaborators`);
    const grant = await liveGrant(caseA, user.id);
    expect(grant).toMatchObject({ project_id: project.id, invited_by: member.id, revoked_at: null });
    // An account that has its password gets no setup link; its name is left as its owner chose it.
    // An account with a password is told of the invitation, without a setup link and without the case.
    const told = await mailTo(user.email);
    expect(told.map((m) => m.template)).toEqual(['case-invitation']);
    expect(told[0]?.text_body).not.toContain('/setup/');
    expect(told[0]?.text_body).not.toContain(TITLE_A);
    expect(told[0]?.text_body).toContain('/login');
    expect((await listCollaborators(ctx.deps.db, caseA.id)).find((c) => c.userId === user.id)).toMatchObject({
      name: 'Olga Outside',
      email: user.email,
    });

    const history = (await historyOf(caseA, 'collaborator.invited')).find((h) => h.value?.includes(user.id));
    expect(history).toMatchObject({ actor_user_id: member.id, previous: null });
    // No email address in the history, which every reader of the case sees.
    expect(JSON.parse(history?.value ?? 'null')).toEqual({ id: user.id, name: 'Olga Outside' });
    const audit = (await auditOf(caseA, 'case.collaborator.invited')).find((a) => a.detail?.includes(user.id));
    expect(audit).toMatchObject({ actor_user_id: member.id, project_id: project.id });
    expect(JSON.parse(audit?.detail ?? '{}')).toEqual({
      number: caseA.number,
      collaboratorId: grant.id,
      userId: user.id,
      newAccount: false,
    });

    // The grant is read on the next request: the same session now opens the case.
    const page = await browser.get(caseUrl(project, caseA));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(TITLE_A);
  });

  it('creates an account for an unknown address and mails a setup link that does not name the case', async () => {
    const email = 'nora.new@upstream.example.net';
    const res = await invite(caseA, { email, name: 'Nora New' });
    expect(res.statusCode).toBe(303);
    const account = present(
      await ctx.deps.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst(),
      'the new account',
    );
    expect(account).toMatchObject({ name: 'Nora New', password_hash: null, is_instance_admin: 0, disabled: 0 });
    await liveGrant(caseA, account.id);

    const mails = await mailTo(email);
    expect(mails).toHaveLength(1);
    const mail = present(mails[0], 'the setup email');
    expect(mail).toMatchObject({ template: 'case-invitation', project_id: project.id, report_id: null });
    for (const text of [mail.subject, mail.text_body, mail.html_body]) {
      expect(text).not.toContain(TITLE_A);
      expect(text).not.toContain(`#${caseA.number}`);
    }
    const audit = (await auditOf(caseA, 'case.collaborator.invited')).find((a) => a.detail?.includes(account.id));
    expect(JSON.parse(audit?.detail ?? '{}')).toMatchObject({ newAccount: true });
    // No email text in the audit log: the setup link is a credential.
    expect(audit?.detail).not.toContain('/setup/');

    // The link works: the invitee chooses a password, signs in and opens the case.
    const path = /http:\/\/localhost:8080(\/setup\/[A-Za-z0-9_-]+)/.exec(mail.text_body)?.[1];
    if (!path) throw new Error('no setup link in the email');
    const browser = new Browser(ctx.app);
    const set = await send(browser, path, path, { password: 'a long enough passphrase' });
    expect(set.statusCode).toBe(303);
    await login(browser, email, 'a long enough passphrase');
    const page = await browser.get(caseUrl(project, caseA));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(TITLE_A);
  });

  it('mails a fresh setup link to an existing account without a password, so older links stop working', async () => {
    const pending = await ctx.deps.db.transaction().execute((trx) =>
      inviteUser(trx, ctx.deps, {
        by: { actor: { kind: 'system', label: 'test' }, origin: noOrigin },
        email: 'pending.person@example.net',
        name: 'Pending Person',
        isInstanceAdmin: false,
      }),
    );
    const oldPath = new URL(pending.link.url).pathname;
    expect((await new Browser(ctx.app).get(oldPath)).statusCode).toBe(200);

    expect((await invite(caseA, { email: pending.user.email })).statusCode).toBe(303);
    const mails = await mailTo(pending.user.email);
    expect(mails.map((m) => m.template).sort()).toEqual(['account-setup', 'case-invitation']);
    expect(mails.filter((m) => m.project_id === project.id)).toHaveLength(1);
    expect((await new Browser(ctx.app).get(oldPath)).statusCode).toBe(404);
  });

  it('refuses members of the project, disabled accounts, bad addresses and a second live invitation', async () => {
    const admin = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin' });
    const onTeam = await invite(caseA, { email: admin.email });
    expect(onTeam.statusCode).toBe(400);
    expect(onTeam.body).toContain('data-code="VALIDATION_FAILED"');
    expect(onTeam.body).toContain('already on the security team');
    // The form comes back with the address, and a way back to the case.
    expect(onTeam.body).toContain(`value="${admin.email}"`);
    expect(onTeam.body).toContain(`href="${caseUrl(project, caseA)}#collaborators"`);
    expect(await grants(caseA, admin.id)).toEqual([]);

    const disabled = await makeUser(ctx.deps.db, ctx.clock);
    await ctx.deps.db.updateTable('users').set({ disabled: 1 }).where('id', '=', disabled.id).execute();
    const refused = await invite(caseA, { email: disabled.email });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('disabled');
    expect(await grants(caseA, disabled.id)).toEqual([]);

    const bad = await invite(caseA, { email: 'not an address' });
    expect(bad.statusCode).toBe(400);

    const { user } = await outsider();
    expect((await invite(caseA, { email: user.email })).statusCode).toBe(303);
    const twice = await invite(caseA, { email: user.email });
    expect(twice.statusCode).toBe(409);
    expect(await grants(caseA, user.id)).toHaveLength(1);
  });

  it('ends access at once on revocation, for the session and the API token alike', async () => {
    const { user, browser } = await outsider();
    const bearer = await bearerOf(user);
    await invite(caseA, { email: user.email });
    const grant = await liveGrant(caseA, user.id);
    const apiUrl = `/api/v1/projects/${project.slug}/cases/${caseA.number}`;
    expect((await browser.get(caseUrl(project, caseA))).statusCode).toBe(200);
    expect((await api('GET', apiUrl, bearer)).statusCode).toBe(200);
    expect((await api('GET', `${apiUrl}/history`, bearer)).statusCode).toBe(200);

    const res = await send(team, caseUrl(project, caseA), `${inviteUrl(caseA)}/${grant.id}/revoke`);
    expect(res.statusCode).toBe(303);
    expect((await grants(caseA, user.id))[0]).toMatchObject({ revoked_by: member.id });
    expect((await browser.get(caseUrl(project, caseA))).statusCode).toBe(404);
    expect((await api('GET', apiUrl, bearer)).statusCode).toBe(404);
    expect(await caseGrantsOfUser(ctx.deps.db, user.id)).toEqual(new Map());
    const history = (await historyOf(caseA, 'collaborator.revoked')).find((h) => h.previous?.includes(user.id));
    expect(history).toMatchObject({ actor_user_id: member.id, value: null });
    expect((await auditOf(caseA, 'case.collaborator.revoked')).some((a) => a.detail?.includes(grant.id))).toBe(true);

    // Revoking again changes nothing; inviting again makes a new grant, and access comes back.
    expect((await send(team, caseUrl(project, caseA), `${inviteUrl(caseA)}/${grant.id}/revoke`)).statusCode).toBe(303);
    expect((await historyOf(caseA, 'collaborator.revoked')).filter((h) => h.previous?.includes(user.id))).toHaveLength(
      1,
    );
    await invite(caseA, { email: user.email });
    expect(await grants(caseA, user.id)).toHaveLength(2);
    expect((await liveGrant(caseA, user.id)).id).not.toBe(grant.id);
    expect((await browser.get(caseUrl(project, caseA))).statusCode).toBe(200);
  });

  it('shows a collaborator of case A nothing else: not case B, the inbox, reports, settings or another project', async () => {
    const { user, browser } = await outsider();
    const stranger = await outsider();
    await invite(caseA, { email: user.email });
    const report = await ctx.deps.db
      .selectFrom('reports')
      .select('id')
      .where('case_id', '=', caseA.id)
      .executeTakeFirstOrThrow();

    expect((await browser.get(caseUrl(project, caseA))).statusCode).toBe(200);
    for (const url of [
      caseUrl(project, caseB),
      `/p/${project.slug}/inbox`,
      `/p/${project.slug}/reports/${report.id}`,
      `/p/${project.slug}/audit`,
      `/p/${project.slug}/mail`,
      `/p/${project.slug}/settings/severity`,
      caseUrl(otherProject, caseOther),
      `/p/${otherProject.slug}/inbox`,
      // Case A's number under the other project's slug is the other project's case.
      `/p/${otherProject.slug}/cases/${caseA.number}`,
    ]) {
      const res = await browser.get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain(TITLE_A);
    }
    // Project settings answer any account outside the project's admins the same refusal: nothing more here.
    for (const url of [`/p/${project.slug}/settings`, `/p/${project.slug}/settings/members`]) {
      const mine = await browser.get(url);
      const theirs = await stranger.browser.get(url);
      expect(mine.statusCode, url).toBe(theirs.statusCode);
      expect(errorCode(mine)).toBe(errorCode(theirs));
      expect(mine.statusCode).toBeGreaterThanOrEqual(403);
    }
    // Nor may they invite others, or change the case.
    const invited = await send(browser, caseUrl(project, caseA), inviteUrl(caseA), { email: 'friend@example.net' });
    expect(invited.statusCode).toBe(404);
    expect(
      await ctx.deps.db.selectFrom('users').select('id').where('email', '=', 'friend@example.net').execute(),
    ).toEqual([]);
    const cvss = await send(browser, caseUrl(project, caseA), `${caseUrl(project, caseA)}/exploitation`, {
      exploitedInTheWild: 'yes',
      reason: 'x',
    });
    expect(cvss.statusCode).toBe(404);
  });

  it('revokes only a grant of the case in the URL', async () => {
    const { user } = await outsider();
    await invite(caseB, { email: user.email });
    const grant = await liveGrant(caseB, user.id);
    const res = await send(team, caseUrl(project, caseA), `${inviteUrl(caseA)}/${grant.id}/revoke`);
    expect(res.statusCode).toBe(404);
    expect((await liveGrant(caseB, user.id)).id).toBe(grant.id);
  });

  it('lists the cases shared with an account, by number and project only', async () => {
    const { user } = await outsider();
    expect(await casesSharedWith(ctx.deps.db, user.id)).toEqual([]);
    await invite(caseB, { email: user.email });
    const shared = await casesSharedWith(ctx.deps.db, user.id);
    expect(shared).toEqual([
      expect.objectContaining({ caseId: caseB.id, number: caseB.number, projectSlug: project.slug }),
    ]);
    expect(await caseGrantsOfUser(ctx.deps.db, user.id)).toEqual(new Map([[caseB.id, project.id]]));
    const html = renderToString(present(SharedCasesList({ cases: shared }), 'the list'));
    expect(html).toContain(`href="${caseUrl(project, caseB)}"`);
    expect(html).toContain(`Collab Project: case #${caseB.number}`);
    expect(html).not.toContain('Second secret case');
  });

  it('renders the section: forms and addresses for the team, names only for others', async () => {
    const collaborators = await listCollaborators(ctx.deps.db, caseA.id);
    const first = present(
      collaborators.find((c) => c.revokedAt === null),
      'a current collaborator',
    );
    const props = { projectSlug: project.slug, caseNumber: caseA.number, collaborators, csrfToken: 'csrf-x' };
    const forTeam = renderToString(CollaboratorsSection({ ...props, canEdit: true }));
    expect(forTeam).toContain(`action="${inviteUrl(caseA)}"`);
    expect(forTeam).toContain(`action="${inviteUrl(caseA)}/${first.id}/revoke"`);
    expect(forTeam).toContain('name="_csrf" value="csrf-x"');
    expect(forTeam).toContain(first.email);
    const forOthers = renderToString(CollaboratorsSection({ ...props, canEdit: false }));
    expect(forOthers).toContain(first.name);
    expect(forOthers).not.toContain(first.email);
    expect(forOthers).not.toContain('<form');
  });

  describe('over the API', () => {
    let bearer: string;
    const base = () => `/api/v1/projects/${project.slug}/cases/${caseB.number}/collaborators`;

    beforeAll(async () => {
      bearer = await bearerOf(member);
    });

    it('invites, lists and revokes', async () => {
      const created = await api('POST', base(), bearer, { email: 'api.invitee@example.net', name: 'Api Invitee' });
      expect(created.statusCode).toBe(201);
      const body = created.json();
      expect(body).toMatchObject({ newAccount: true, collaborator: { name: 'Api Invitee', revokedAt: null } });

      const listed = await api('GET', base(), bearer);
      expect(listed.statusCode).toBe(200);
      expect(listed.json().collaborators).toContainEqual(body.collaborator);

      const revoked = await api('DELETE', `${base()}/${body.collaborator.id}`, bearer);
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json().collaborator.revokedAt).toEqual(expect.any(String));
      expect(await caseGrantsOfUser(ctx.deps.db, body.collaborator.userId)).toEqual(new Map());
      expect((await api('DELETE', `${base()}/no-such-grant`, bearer)).statusCode).toBe(404);
    });

    it('refuses bad input with a stable code, and outsiders with 404', async () => {
      const bad = await api('POST', base(), bearer, { email: 'nope' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'email' } });
      const self = await api('POST', base(), bearer, { email: member.email });
      expect(self.json().error.code).toBe('VALIDATION_FAILED');

      const elsewhere = await makeUser(ctx.deps.db, ctx.clock, { project: otherProject, role: 'admin' });
      const theirs = await bearerOf(elsewhere);
      expect((await api('GET', base(), theirs)).statusCode).toBe(404);
      expect((await api('POST', base(), theirs, { email: 'x@example.net' })).statusCode).toBe(404);
    });
  });
});
