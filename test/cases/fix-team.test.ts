import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/clock.js';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { transitionCase } from '../../src/domain/cases/case-transitions.service.js';
import type { Case } from '../../src/domain/cases/cases.js';
import {
  addTeamMember,
  caseTeam,
  proposeFixLead,
  removeTeamMember,
  setAway,
  setFixLead,
} from '../../src/domain/cases/fix-team.service.js';
import { removeMember } from '../../src/domain/projects/members.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { addMember } from '../../src/domain/projects/projects.service.js';
import { updateCaseSeverity } from '../../src/domain/severity/case-severity.service.js';
import { setUserDisabled } from '../../src/domain/users/user-admin.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { Actor } from '../../src/policies/actor.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { makeProject, makeUser } from '../support/factories.js';

const system: Actor = { kind: 'system', label: 'test' };
const by = { actor: system, origin: noOrigin };

describe.each(engines())('the Fix Lead and Fix Team on %s', (engine) => {
  let ctx: TestContext;
  const tx = <T>(fn: (trx: Trx) => Promise<T>): Promise<T> => ctx.deps.db.transaction().execute(fn);
  const member = (project: Project, name: string, email?: string, role: 'admin' | 'security' = 'security') =>
    makeUser(ctx.deps.db, ctx.clock, { project, role, name, ...(email ? { email } : {}) });
  const lead = (theCase: Case, userId: string, reason?: string) =>
    tx((trx) => setFixLead(trx, ctx.deps, { ...by, theCase, userId, ...(reason ? { reason } : {}) }));
  const caseRow = (id: string) =>
    ctx.deps.db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const history = (caseId: string, change: string) =>
    ctx.deps.db
      .selectFrom('case_history')
      .selectAll()
      .where('case_id', '=', caseId)
      .where('change', '=', change)
      .orderBy('at')
      .execute();
  const progressMails = (projectId: string) =>
    ctx.deps.db
      .selectFrom('outbound_emails')
      .select(['to_address', 'text_body', 'report_id'])
      .where('project_id', '=', projectId)
      .where('template', '=', 'case-progress')
      .execute();
  const reportsOf = async (caseId: string) =>
    (await ctx.deps.db.selectFrom('reports').select('id').where('case_id', '=', caseId).execute()).map((r) => r.id);
  const audits = (subjectId: string, action: string) =>
    ctx.deps.db
      .selectFrom('audit_log')
      .select(['actor_label', 'detail'])
      .where('subject_id', '=', subjectId)
      .where('action', '=', action)
      .execute();

  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(() => ctx.close());

  it('proposes by round-robin: never-led first, then who led least recently; away, disabled and former members skipped', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const ada = await member(project, 'Ada');
    const bea = await member(project, 'Bea', undefined, 'admin');
    await member(project, 'Cy');
    // Alphabetically first, so each would be proposed first if the rule did not skip them.
    const abby = await member(project, 'Abby');
    const abel = await member(project, 'Abel');
    const aaron = await member(project, 'Aaron');
    await tx((trx) => setAway(trx, ctx.deps, { actor: actorOfUser(abby), origin: noOrigin, away: true }));
    await tx((trx) => setUserDisabled(trx, ctx.deps, { by, userId: abel.id, disabled: true }));
    await tx((trx) => removeMember(trx, ctx.clock, { by, projectId: project.id, userId: aaron.id }));
    // Leading a case of another project is not a turn here.
    const elsewhere = await makeProject(ctx.deps.db, ctx.clock);
    await tx((trx) => addMember(trx, ctx.clock, { projectId: elsewhere.id, userId: ada.id, role: 'security' }));

    const newCase = (i: number) => makeCase(ctx, project, system, `Case ${i}`);
    const otherCase = await makeCase(ctx, elsewhere, system);
    await lead(otherCase, ada.id);

    const order: string[] = [];
    const proposeAndTake = async (theCase: Case) => {
      ctx.clock.advance(HOUR_MS);
      const proposal = await proposeFixLead(ctx.deps.db, project.id);
      const team = await lead(theCase, 'proposed');
      expect(team.lead?.id).toBe(proposal?.id);
      order.push(team.lead?.name ?? 'nobody');
    };
    for (let i = 0; i < 4; i++) await proposeAndTake(await newCase(i));
    expect(order).toEqual(['Ada', 'Bea', 'Cy', 'Ada']);

    // Overriding is choosing someone else; it still counts as their turn.
    ctx.clock.advance(HOUR_MS);
    await lead(await newCase(4), bea.id, 'Knows the parser best.');
    expect((await proposeFixLead(ctx.deps.db, project.id))?.name).toBe('Cy');

    // Back from being away: never led, so first.
    await tx((trx) => setAway(trx, ctx.deps, { actor: actorOfUser(abby), origin: noOrigin, away: false }));
    expect((await proposeFixLead(ctx.deps.db, project.id))?.id).toBe(abby.id);
    expect((await caseTeam(ctx.deps.db, (await newCase(5)).id)).proposed).toEqual({ id: abby.id, name: 'Abby' });
  });

  it('breaks ties by name, then email, and proposes nobody when everyone is away', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const later = await member(project, 'Sam', `z-sam-${project.slug}@example.org`);
    const first = await member(project, 'Sam', `a-sam-${project.slug}@example.org`);
    expect((await proposeFixLead(ctx.deps.db, project.id))?.id).toBe(first.id);
    for (const u of [later, first]) {
      await tx((trx) => setAway(trx, ctx.deps, { actor: actorOfUser(u), origin: noOrigin, away: true }));
    }
    expect(await proposeFixLead(ctx.deps.db, project.id)).toBeNull();
    const theCase = await makeCase(ctx, project, system);
    await expect(lead(theCase, 'proposed')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'userId' },
    });
    // An away member can still be chosen by hand.
    expect((await lead(theCase, later.id)).lead?.id).toBe(later.id);
  });

  it('forms the Fix Team with the first lead: fix_in_progress, the reporter told once, history and audit', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const opener = await member(project, 'Opener');
    const ada = await member(project, 'Ada Lead');
    const bob = await member(project, 'Bob Lead');
    const theCase = await makeCase(ctx, project, actorOf(opener, project));
    expect((await caseRow(theCase.id)).owner_id).toBe(opener.id);

    const team = await lead(theCase, ada.id);
    expect(team.lead).toMatchObject({ id: ada.id, name: 'Ada Lead' });
    expect(team.members.map((m) => m.id)).toEqual([ada.id]);
    expect(team.proposed).toBeNull();
    const row = await caseRow(theCase.id);
    expect(row).toMatchObject({ state: 'fix_in_progress', fix_lead_id: ada.id, owner_id: ada.id });

    const mails = await progressMails(project.id);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.to_address).toBe('ada@example.net');
    expect(mails[0]?.text_body).toContain('A Fix Team has formed');
    const entries = await ctx.deps.db
      .selectFrom('report_entries')
      .innerJoin('reports', 'reports.id', 'report_entries.report_id')
      .select(['report_entries.detail', 'report_entries.visibility'])
      .where('reports.case_id', '=', theCase.id)
      .where('report_entries.kind', '=', 'progress')
      .execute();
    expect(entries.map((e) => [e.visibility, JSON.parse(e.detail ?? '{}')])).toEqual([
      ['public', { milestone: 'fix-team-formed' }],
    ]);
    expect(mails[0]?.report_id).toBe((await reportsOf(theCase.id))[0]);

    const leads = await history(theCase.id, 'fix.lead');
    expect(leads).toHaveLength(1);
    expect(leads[0]?.previous).toBeNull();
    expect(JSON.parse(leads[0]?.value ?? 'null')).toEqual({ id: ada.id, name: 'Ada Lead' });
    const states = await history(theCase.id, 'state');
    expect(states.map((s) => [JSON.parse(s.previous ?? ''), JSON.parse(s.value ?? '')])).toEqual([
      ['triage', 'fix_in_progress'],
    ]);
    expect(await audits(theCase.id, 'case.fix-lead.set')).toHaveLength(1);
    expect(await audits(theCase.id, 'case.start_fix')).toHaveLength(1);

    // A second lead: the owner follows, the reporter is not told again, the first lead stays on the team.
    ctx.clock.advance(HOUR_MS);
    const second = await lead(theCase, bob.id, 'Ada is on leave.');
    expect(second.lead?.id).toBe(bob.id);
    expect(second.members.map((m) => m.name)).toEqual(['Ada Lead', 'Bob Lead']);
    expect(await caseRow(theCase.id)).toMatchObject({ state: 'fix_in_progress', owner_id: bob.id });
    expect(await progressMails(project.id)).toHaveLength(1);
    const changed = (await history(theCase.id, 'fix.lead')).at(-1);
    expect(JSON.parse(changed?.previous ?? 'null')).toEqual({ id: ada.id, name: 'Ada Lead' });
    expect(changed?.reason).toBe('Ada is on leave.');

    // The same lead again changes nothing.
    await lead(theCase, bob.id);
    expect(await history(theCase.id, 'fix.lead')).toHaveLength(2);
  });

  it('tells the reporter when the first lead comes after the fix was started by hand, and not after closing', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const ann = await member(project, 'Ann');
    const started = await makeCase(ctx, project, system);
    await tx((trx) => transitionCase(trx, ctx.deps, { ...by, theCase: started, action: 'start_fix' }));
    expect(await progressMails(project.id)).toHaveLength(0);
    await lead(started, ann.id);
    expect(await caseRow(started.id)).toMatchObject({ state: 'fix_in_progress', fix_lead_id: ann.id });
    expect(await progressMails(project.id)).toHaveLength(1);
    expect(await history(started.id, 'state')).toHaveLength(1);

    const closed = await makeCase(ctx, project, system);
    await tx((trx) =>
      transitionCase(trx, ctx.deps, { ...by, theCase: closed, action: 'close', reason: 'Not a vulnerability.' }),
    );
    await lead(closed, ann.id);
    expect(await caseRow(closed.id)).toMatchObject({ state: 'closed', fix_lead_id: ann.id });
    expect(await progressMails(project.id)).toHaveLength(1);
  });

  it('refuses a lead or member who is not an enabled member of the project, storing nothing', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const stranger = await makeUser(ctx.deps.db, ctx.clock, { name: 'Stranger' });
    const disabled = await member(project, 'Disabled');
    await tx((trx) => setUserDisabled(trx, ctx.deps, { by, userId: disabled.id, disabled: true }));
    const theCase = await makeCase(ctx, project, system);
    for (const userId of [stranger.id, disabled.id, 'no-such-user']) {
      await expect(lead(theCase, userId)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { field: 'userId' },
      });
      await expect(tx((trx) => addTeamMember(trx, ctx.deps, { ...by, theCase, userId }))).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { field: 'userId' },
      });
    }
    expect(await caseRow(theCase.id)).toMatchObject({ state: 'triage', fix_lead_id: null });
    expect((await caseTeam(ctx.deps.db, theCase.id)).members).toEqual([]);
    expect(await history(theCase.id, 'fix.lead')).toEqual([]);
  });

  it('adds and removes team members, but never the lead until another lead is set', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const ann = await member(project, 'Ann');
    const ben = await member(project, 'Ben');
    const theCase = await makeCase(ctx, project, system);
    const change = (kind: 'add' | 'remove', userId: string) =>
      tx((trx) => (kind === 'add' ? addTeamMember : removeTeamMember)(trx, ctx.deps, { ...by, theCase, userId }));
    // Members may join before there is a lead; the team forms only with the lead.
    expect(await change('add', ben.id)).toBe(true);
    expect(await change('add', ben.id)).toBe(false);
    expect((await caseRow(theCase.id)).state).toBe('triage');
    await lead(theCase, ann.id);
    await expect(change('remove', ann.id)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'userId' },
    });
    expect(await change('remove', ben.id)).toBe(true);
    expect(await change('remove', ben.id)).toBe(false);
    await lead(theCase, ben.id);
    expect(await change('remove', ann.id)).toBe(true);
    const team = await caseTeam(ctx.deps.db, theCase.id);
    expect(team.lead?.id).toBe(ben.id);
    expect(team.members.map((m) => m.id)).toEqual([ben.id]);

    const added = await history(theCase.id, 'fix.team.added');
    expect(added.map((h) => JSON.parse(h.value ?? 'null').name)).toEqual(['Ben']);
    const removed = await history(theCase.id, 'fix.team.removed');
    expect(removed.map((h) => JSON.parse(h.previous ?? 'null').name)).toEqual(['Ben', 'Ann']);
    expect(await audits(theCase.id, 'case.team.added')).toHaveLength(1);
    expect(await audits(theCase.id, 'case.team.removed')).toHaveLength(2);
  });

  it('restarts the reminder clock of a case with a severity when its team changes', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const ann = await member(project, 'Ann');
    const theCase = await makeCase(ctx, project, system);
    await tx((trx) =>
      updateCaseSeverity(trx, ctx.deps, {
        ...by,
        theCase,
        changes: { cvssV31: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
        reason: 'Scored.',
      }),
    );
    const before = await ctx.deps.db
      .selectFrom('case_severity')
      .select('next_reminder_at')
      .where('case_id', '=', theCase.id)
      .executeTakeFirstOrThrow();
    ctx.clock.advance(HOUR_MS);
    await lead(theCase, ann.id);
    const after = await ctx.deps.db
      .selectFrom('case_severity')
      .select('next_reminder_at')
      .where('case_id', '=', theCase.id)
      .executeTakeFirstOrThrow();
    expect(before.next_reminder_at).not.toBeNull();
    expect(Date.parse(after.next_reminder_at ?? '') - Date.parse(before.next_reminder_at ?? '')).toBe(HOUR_MS);
    expect((await caseRow(theCase.id)).updated_at).toBe(ctx.clock.now().toISOString());
  });

  it('serializes two concurrent "set lead" calls on one case: one forms the team, no duplicate notice', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const ann = await member(project, 'Ann');
    const ben = await member(project, 'Ben');
    const theCase = await makeCase(ctx, project, system);
    const results = await Promise.allSettled([lead(theCase, ann.id), lead(theCase, ben.id)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const row = await caseRow(theCase.id);
    expect(row.state).toBe('fix_in_progress');
    expect([ann.id, ben.id]).toContain(row.fix_lead_id);
    expect(await progressMails(project.id)).toHaveLength(1);
    expect(await history(theCase.id, 'state')).toHaveLength(1);
    const leads = await history(theCase.id, 'fix.lead');
    expect(leads).toHaveLength(2);
    // The second saw the first: its entry names the first lead as the previous one.
    const previousIds = leads.map((h) => (h.previous ? JSON.parse(h.previous).id : null));
    expect(previousIds.filter((p) => p === null)).toHaveLength(1);
    expect(previousIds.filter((p) => p !== null)).toHaveLength(1);
  });

  it('gives two cases proposed at the same time two different leads', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const ann = await member(project, 'Ann');
    const ben = await member(project, 'Ben');
    const one = await makeCase(ctx, project, system);
    const two = await makeCase(ctx, project, system);
    const [a, b] = await Promise.all([lead(one, 'proposed'), lead(two, 'proposed')]);
    expect([a.lead?.id, b.lead?.id].sort()).toEqual([ann.id, ben.id].sort());
  });

  it('marks an account away and back, audited, once per change', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const ann = await member(project, 'Ann');
    const away = (value: boolean) =>
      tx((trx) => setAway(trx, ctx.deps, { actor: actorOfUser(ann), origin: noOrigin, away: value }));
    expect(await away(true)).toBe(true);
    expect(await away(true)).toBe(false);
    const stored = async () =>
      (await ctx.deps.db.selectFrom('users').select('away').where('id', '=', ann.id).executeTakeFirstOrThrow()).away;
    expect(await stored()).toBe(1);
    expect(await away(false)).toBe(true);
    expect(await stored()).toBe(0);
    expect(await audits(ann.id, 'user.away')).toHaveLength(1);
    expect(await audits(ann.id, 'user.back')).toHaveLength(1);
  });
});
