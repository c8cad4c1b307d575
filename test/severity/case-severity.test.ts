import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS } from '../../src/clock.js';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import type { Case } from '../../src/domain/cases/cases.js';
import type { Project } from '../../src/domain/projects/projects.js';
import {
  addCaseCwe,
  caseHistory,
  caseSeverity,
  removeCaseCwe,
  updateCaseSeverity,
} from '../../src/domain/severity/case-severity.service.js';
import type { SeverityChanges } from '../../src/domain/severity/case-severity.js';
import { defaultSeverityPolicy } from '../../src/domain/severity/severity-policy.js';
import { updateSeverityPolicy } from '../../src/domain/severity/severity-policy.service.js';
import type { User } from '../../src/domain/users/users.js';
import { DomainError } from '../../src/errors.js';
import type { Actor } from '../../src/policies/actor.js';
import { testWorker } from '../mail/support.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { makeProject, makeUser } from '../support/factories.js';

const HEARTBLEED_31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N';
const V40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N';
const MEDIUM_31 = 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N';

async function thrown(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe.each(engines())('case severity on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let owner: User;
  let actor: Actor;

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);
  const update = (theCase: Case, changes: SeverityChanges, reason = 'Scored after reproducing it.') =>
    tx((trx) => updateCaseSeverity(trx, ctx.deps, { actor, origin: noOrigin, theCase, changes, reason }));
  const rowCount = async (table: 'case_history' | 'case_severity' | 'case_cwes', caseId: string) =>
    (await ctx.deps.db.selectFrom(table).select('case_id').where('case_id', '=', caseId).execute()).length;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Severity Project' });
    owner = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security', email: 'owner@example.org' });
    await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin', email: 'admin@example.org' });
    actor = actorOf(owner, project);
  });
  afterAll(() => ctx.close());

  it('scores a case with the server computing every score, and starts with no severity', async () => {
    const theCase = await makeCase(ctx, project, actor);
    const empty = await caseSeverity(ctx.deps.db, theCase);
    expect(empty.effective.severity).toBe('none');
    expect(empty.targets.fixDue).toBeNull();

    const { changed, severity } = await update(theCase, { cvssV40: V40, cvssV31: MEDIUM_31 });
    expect(changed.sort()).toEqual(['cvssV31', 'cvssV40']);
    expect(severity.cvss.v40?.base.score).toBe(8.7);
    expect(severity.cvss.v31?.base.score).toBe(5.4);
    expect(severity.highestCvss).toBe(8.7);
    expect(severity.effective.severity).toBe('high');
    // The high target: 30 calendar days from the opening, released out of band.
    expect(severity.targets.fixDue?.toISOString()).toBe(
      new Date(Date.parse(theCase.createdAt) + 30 * DAY_MS).toISOString(),
    );
    expect(severity.targets.release).toBe('out-of-band');
    expect(await caseSeverity(ctx.deps.db, theCase)).toMatchObject({ highestCvss: 8.7 });
  });

  it('makes a Heartbleed-like case critical and immediate, and says why', async () => {
    const theCase = await makeCase(ctx, project, actor);
    const { severity } = await update(theCase, {
      cvssV31: HEARTBLEED_31,
      exploitation: {
        exploitedInTheWild: true,
        source: 'CISA KEV',
        reportedOn: '2026-02-27',
        publicExploit: true,
        exposure: 'most',
      },
      ssvc: {
        exploitation: 'active',
        automatable: 'yes',
        valueDensity: 'concentrated',
        technicalImpact: 'partial',
        publicSafetyImpact: 'minimal',
      },
    });
    expect(severity.cvss.v31?.base.score).toBe(7.5);
    expect(severity.effective).toMatchObject({ severity: 'critical', priority: 'immediate', raisedFromCvss: true });
    expect(severity.effective.reasons.join(' ')).toContain('CISA KEV');
    expect(severity.ssvc?.priority).toBe('immediate');
    // Exploitation voids the gates: no "semi-public" fix for a bug exploited now.
    expect(severity.targets.gate).toBeNull();
    expect(severity.targets.release).toBe('out-of-band');
  });

  it('keeps every change with its previous value, who and why, in the history and the audit log', async () => {
    const theCase = await makeCase(ctx, project, actor);
    await update(theCase, { cvssV31: MEDIUM_31 }, 'First look.');
    await update(theCase, { cvssV31: HEARTBLEED_31 }, 'It leaks memory without authentication.');
    const history = await caseHistory(ctx.deps.db, theCase.id);
    const cvss = history.filter((h) => h.change === 'cvss.v3.1');
    expect(cvss).toHaveLength(2);
    expect(cvss.find((h) => h.reason === 'It leaks memory without authentication.')).toMatchObject({
      previous: MEDIUM_31,
      value: HEARTBLEED_31,
      actorLabel: owner.email,
    });
    expect(history.filter((h) => h.change === 'severity.effective').map((h) => h.value)).toContainEqual({
      severity: 'high',
      priority: 'out-of-cycle',
    });
    const audit = await ctx.deps.db
      .selectFrom('audit_log')
      .select(['action', 'detail', 'actor_label'])
      .where('subject_id', '=', theCase.id)
      .where('action', '=', 'case.severity.updated')
      .execute();
    expect(audit).toHaveLength(2);
    expect(audit.map((a) => JSON.parse(a.detail ?? '{}').reason)).toContain('It leaks memory without authentication.');
    expect(audit.every((a) => a.actor_label === owner.email)).toBe(true);
    // The history cannot be rewritten.
    await expect(
      ctx.deps.db.updateTable('case_history').set({ reason: 'edited' }).where('case_id', '=', theCase.id).execute(),
    ).rejects.toThrow(/append-only/);
  });

  it('refuses an invalid vector naming the metric, and stores nothing of the change', async () => {
    const theCase = await makeCase(ctx, project, actor);
    const err = await thrown(
      update(theCase, { cvssV40: V40, cvssV31: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:X/A:N' }),
    );
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.details).toMatchObject({ field: 'cvssV31', metric: 'I' });
    expect(err.message).toContain('Integrity');
    expect(await rowCount('case_severity', theCase.id)).toBe(0);
    expect(await rowCount('case_history', theCase.id)).toBe(0);
  });

  it('takes CVSS 3.0 and 2.0 only as imported vectors, which count until the team scores in 3.1 or 4.0', async () => {
    const theCase = await makeCase(ctx, project, actor);
    const v30 = 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
    expect((await thrown(update(theCase, { cvssV31: v30 }))).details).toMatchObject({ field: 'cvssV31' });
    expect((await thrown(update(theCase, { cvssImported: V40 }))).details).toMatchObject({ field: 'cvssImported' });
    const imported = await update(theCase, { cvssImported: v30 });
    expect(imported.severity.effective.severity).toBe('critical');
    expect(imported.severity.cvss.imported?.version).toBe('3.0');
    const scored = await update(theCase, { cvssV31: MEDIUM_31 });
    expect(scored.severity.effective.severity).toBe('medium');
    const v2 = await update(theCase, { cvssImported: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' });
    expect(v2.severity.cvss.imported?.base.score).toBe(7.5);
  });

  it('asks for a reason, and records nothing when nothing changes', async () => {
    const theCase = await makeCase(ctx, project, actor);
    expect((await thrown(update(theCase, { cvssV31: MEDIUM_31 }, '  '))).details).toMatchObject({ field: 'reason' });
    await update(theCase, { cvssV31: MEDIUM_31 });
    const before = await rowCount('case_history', theCase.id);
    const again = await update(theCase, { cvssV31: MEDIUM_31 });
    expect(again.changed).toEqual([]);
    expect(await rowCount('case_history', theCase.id)).toBe(before);
  });

  it('checks the exploitation context', async () => {
    const theCase = await makeCase(ctx, project, actor);
    const base = {
      exploitedInTheWild: true,
      source: 'vendor',
      reportedOn: '2026-03-01',
      publicExploit: false,
      exposure: null,
    };
    const future = await thrown(update(theCase, { exploitation: { ...base, reportedOn: '2026-03-05' } }));
    expect(future.details).toMatchObject({ field: 'exploitation.reportedOn' });
    const badDate = await thrown(update(theCase, { exploitation: { ...base, reportedOn: '2026-02-30' } }));
    expect(badDate.details).toMatchObject({ field: 'exploitation.reportedOn' });
    const notExploited = await thrown(update(theCase, { exploitation: { ...base, exploitedInTheWild: false } }));
    expect(notExploited.details).toMatchObject({ field: 'exploitation.source' });
    const ok = await update(theCase, { exploitation: { ...base, exposure: 'some' } });
    expect(ok.severity.exploitation).toMatchObject({ exploitedInTheWild: true, source: 'vendor', exposure: 'some' });
    expect(ok.severity.effective.severity).toBe('high');
  });

  it('adds and removes CWEs with history and audit, refusing unknown ones', async () => {
    const theCase = await makeCase(ctx, project, actor);
    const cwe = (fn: typeof addCaseCwe, id: string | number) =>
      tx((trx) => fn(trx, ctx.deps, { actor, origin: noOrigin, theCase, cwe: id }));
    expect(await cwe(addCaseCwe, 'CWE-125')).toBe(true);
    expect(await cwe(addCaseCwe, 787)).toBe(true);
    expect(await cwe(addCaseCwe, '125')).toBe(false);
    expect((await thrown(cwe(addCaseCwe, 'CWE-99999999'))).details).toMatchObject({ field: 'cwe' });
    expect((await caseSeverity(ctx.deps.db, theCase)).cwes.map((c) => c.id)).toEqual([125, 787]);
    expect(await cwe(removeCaseCwe, 125)).toBe(true);
    expect(await cwe(removeCaseCwe, 125)).toBe(false);
    const severity = await caseSeverity(ctx.deps.db, theCase);
    expect(severity.cwes).toEqual([{ id: 787, name: expect.stringMatching(/out-of-bounds write/i) }]);
    const history = await caseHistory(ctx.deps.db, theCase.id);
    expect(history.map((h) => h.change).sort()).toEqual(['cwe.added', 'cwe.added', 'cwe.removed']);
  });

  it('reminds the owner when nothing moved for the interval, once per interval, and not after a move', async () => {
    const worker = testWorker(ctx);
    await worker.runDue();
    const theCase = await makeCase(ctx, project, actor);
    const reminders = async () =>
      (
        await ctx.deps.db
          .selectFrom('outbound_emails')
          .select(['to_address', 'subject', 'text_body'])
          .where('template', '=', 'case-reminder')
          .where('project_id', '=', project.id)
          .execute()
      ).filter((m) => m.subject.includes(`Case #${theCase.number}:`));
    const start = ctx.clock.now();
    // Critical: reminded after 2 days without movement.
    const { severity } = await update(theCase, { cvssV31: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' });
    expect(severity.effective.severity).toBe('critical');
    expect(severity.nextReminderAt).toBe(new Date(start.getTime() + 2 * DAY_MS).toISOString());

    ctx.clock.advance(DAY_MS);
    await worker.runDue();
    expect(await reminders()).toHaveLength(0);
    // Something moves a day later: the clock restarts, the pending reminder goes stale.
    await tx((trx) => addCaseCwe(trx, ctx.deps, { actor, origin: noOrigin, theCase, cwe: 787 }));
    ctx.clock.advance(DAY_MS + HOUR_MS);
    await worker.runDue();
    expect(await reminders()).toHaveLength(0);
    ctx.clock.advance(DAY_MS);
    await worker.runDue();
    const sent = await reminders();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.to_address).toBe(owner.email);
    // The mail names the case by number only: its title is embargoed.
    expect(sent[0]?.text_body).not.toContain('Heap overflow');
    expect(sent[0]?.text_body).toContain('has not moved for 2 days');
    // Running every due job again sends nothing more; two days on, the next reminder goes out.
    await worker.runDue();
    expect(await reminders()).toHaveLength(1);
    ctx.clock.advance(2 * DAY_MS);
    await worker.runDue();
    expect(await reminders()).toHaveLength(2);
    const history = await caseHistory(ctx.deps.db, theCase.id);
    expect(history.filter((h) => h.change === 'reminder.sent')).toHaveLength(2);
  });

  it('never reminds at a severity the policy does not remind, and follows the project policy', async () => {
    const worker = testWorker(ctx);
    ctx.clock.set('2026-06-01T09:00:00.000Z'); // a Monday
    const other = await makeProject(ctx.deps.db, ctx.clock, { name: 'Quiet Project' });
    const member = await makeUser(ctx.deps.db, ctx.clock, { project: other, role: 'admin' });
    const by = actorOf(member, other, 'admin');
    await tx((trx) =>
      updateSeverityPolicy(trx, ctx.deps, {
        actor: by,
        origin: noOrigin,
        projectId: other.id,
        policy: {
          ...defaultSeverityPolicy,
          dayMode: 'business',
          targets: {
            ...defaultSeverityPolicy.targets,
            high: { fixDays: 10, release: 'out-of-band', remindDays: 7 },
            medium: { fixDays: 10, release: 'next-patch', remindDays: null },
          },
        },
      }),
    );
    const theCase = await makeCase(ctx, other, by);
    const { severity } = await tx((trx) =>
      updateCaseSeverity(trx, ctx.deps, {
        actor: by,
        origin: noOrigin,
        theCase,
        changes: { cvssV31: MEDIUM_31 },
        reason: 'r',
      }),
    );
    expect(severity.effective.severity).toBe('medium');
    expect(severity.nextReminderAt).toBeNull();
    // 10 business days from a Monday: two weeks later.
    const opened = new Date(theCase.createdAt);
    expect(opened.getUTCDay()).toBe(1);
    expect(severity.targets.fixDue?.toISOString()).toBe(new Date(opened.getTime() + 14 * DAY_MS).toISOString());
    ctx.clock.advance(60 * DAY_MS);
    await worker.runDue();
    const mails = await ctx.deps.db
      .selectFrom('outbound_emails')
      .select('id')
      .where('project_id', '=', other.id)
      .where('template', '=', 'case-reminder')
      .execute();
    expect(mails).toHaveLength(0);
  });

  it('recomputes pending reminders when the project changes its policy', async () => {
    const worker = testWorker(ctx);
    await worker.runDue();
    const p2 = await makeProject(ctx.deps.db, ctx.clock, { name: 'Policy Change Project' });
    const admin = await makeUser(ctx.deps.db, ctx.clock, { project: p2, role: 'admin' });
    const by = actorOf(admin, p2, 'admin');
    const theCase = await makeCase(ctx, p2, by);
    const critical = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
    const start = ctx.clock.now().getTime();
    await tx((trx) =>
      updateCaseSeverity(trx, ctx.deps, {
        actor: by,
        origin: noOrigin,
        theCase,
        changes: { cvssV31: critical },
        reason: 'r',
      }),
    );
    await tx((trx) =>
      updateSeverityPolicy(trx, ctx.deps, {
        actor: by,
        origin: noOrigin,
        projectId: p2.id,
        policy: {
          ...defaultSeverityPolicy,
          targets: {
            ...defaultSeverityPolicy.targets,
            critical: { fixDays: 7, release: 'out-of-band', remindDays: 5 },
          },
        },
      }),
    );
    const severity = await caseSeverity(ctx.deps.db, theCase);
    expect(severity.nextReminderAt).toBe(new Date(start + 5 * DAY_MS).toISOString());
    const mails = async () =>
      (
        await ctx.deps.db
          .selectFrom('outbound_emails')
          .select('id')
          .where('project_id', '=', p2.id)
          .where('template', '=', 'case-reminder')
          .execute()
      ).length;
    ctx.clock.advance(2 * DAY_MS + HOUR_MS);
    await worker.runDue();
    expect(await mails()).toBe(0);
    ctx.clock.advance(3 * DAY_MS);
    await worker.runDue();
    expect(await mails()).toBe(1);
  });

  it('lets an account that appears in the append-only history be deleted', async () => {
    const leaving = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' });
    const theCase = await makeCase(ctx, project, actorOf(leaving, project));
    await tx((trx) =>
      updateCaseSeverity(trx, ctx.deps, {
        actor: actorOf(leaving, project),
        origin: noOrigin,
        theCase,
        changes: { cvssV31: MEDIUM_31 },
        reason: 'Before leaving.',
      }),
    );
    await ctx.deps.db.deleteFrom('users').where('id', '=', leaving.id).execute();
    const history = await caseHistory(ctx.deps.db, theCase.id);
    expect(history.find((h) => h.change === 'cvss.v3.1')).toMatchObject({ actorLabel: leaving.email });
  });
});
