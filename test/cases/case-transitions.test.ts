import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import type { CaseAction } from '../../src/domain/cases/case-state.js';
import { transitionCase } from '../../src/domain/cases/case-transitions.service.js';
import type { Case } from '../../src/domain/cases/cases.js';
import { setBranchStatus } from '../../src/domain/cases/affected.service.js';
import { reviewPatch, uploadPatch } from '../../src/domain/cases/patches.service.js';
import { addBranch, removeBranch } from '../../src/domain/projects/branches.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { updateCaseSeverity } from '../../src/domain/severity/case-severity.service.js';
import { DomainError } from '../../src/errors.js';
import type { Actor } from '../../src/policies/actor.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { makeProject, makeUser } from '../support/factories.js';

describe.each(engines())('moving a case through its lifecycle on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let actor: Actor;

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);
  const move = (theCase: Case, action: CaseAction, reason?: string) =>
    tx((trx) => transitionCase(trx, ctx.deps, { actor, origin: noOrigin, theCase, action, reason: reason ?? null }));
  const codeOf = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'ok';
    } catch (err) {
      if (err instanceof DomainError) return err.code;
      throw err;
    }
  };
  const stateOf = async (c: Case) =>
    (await ctx.deps.db.selectFrom('cases').select('state').where('id', '=', c.id).executeTakeFirstOrThrow()).state;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock);
    const member = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' });
    actor = actorOf(member, project);
  });
  afterAll(() => ctx.close());

  it('records each move in the case history and the audit log, and refuses moves the state does not allow', async () => {
    const theCase = await makeCase(ctx, project, actor);
    expect(await codeOf(move(theCase, 'fix_ready'))).toBe('INVALID_TRANSITION');
    expect(await stateOf(theCase)).toBe('triage');
    expect((await move(theCase, 'start_fix')).state).toBe('fix_in_progress');
    const history = await ctx.deps.db
      .selectFrom('case_history')
      .selectAll()
      .where('case_id', '=', theCase.id)
      .where('change', '=', 'state')
      .execute();
    expect(history).toHaveLength(1);
    expect(JSON.parse(history[0]?.previous ?? 'null')).toBe('triage');
    expect(JSON.parse(history[0]?.value ?? 'null')).toBe('fix_in_progress');
    const audit = await ctx.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('subject_id', '=', theCase.id)
      .where('action', '=', 'case.start_fix')
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('tells the reporter when the fix is ready, on the status page and by mail', async () => {
    const theCase = await makeCase(ctx, project, actor);
    await move(theCase, 'start_fix');
    await move(theCase, 'fix_ready');
    const report = await ctx.deps.db
      .selectFrom('reports')
      .select(['id', 'tracking_id'])
      .where('case_id', '=', theCase.id)
      .executeTakeFirstOrThrow();
    const entries = await ctx.deps.db
      .selectFrom('report_entries')
      .select(['kind', 'visibility', 'body'])
      .where('report_id', '=', report.id)
      .where('kind', '=', 'progress')
      .execute();
    expect(entries).toEqual([
      { kind: 'progress', visibility: 'public', body: expect.stringContaining('The fix is ready') },
    ]);
    // Reopened and ready again: the reporter is not told a second time.
    await move(theCase, 'reopen_fix', 'A regression in the patch.');
    await move(theCase, 'fix_ready');
    const mail = await ctx.deps.db
      .selectFrom('outbound_emails')
      .select(['to_address', 'subject', 'text_body'])
      .where('report_id', '=', report.id)
      .where('template', '=', 'case-progress')
      .execute();
    expect(mail).toHaveLength(1);
    expect(mail[0]?.to_address).toBe('ada@example.net');
    expect(mail[0]?.subject).toContain(report.tracking_id);
    // The case title is the team's: the reporter's mail says nothing of the fix itself.
    expect(mail[0]?.text_body).not.toContain('Heap overflow');
  });

  it('needs a reason to close, reopen or break the embargo; breaks it only once; stops reminders when closed', async () => {
    const theCase = await makeCase(ctx, project, actor);
    await tx((trx) =>
      updateCaseSeverity(trx, ctx.deps, {
        actor,
        origin: noOrigin,
        theCase,
        changes: { cvssV31: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
        reason: 'Critical.',
      }),
    );
    expect(await codeOf(move(theCase, 'break_embargo'))).toBe('VALIDATION_FAILED');
    const broken = await move(theCase, 'break_embargo', 'Exploit posted on a forum.');
    expect(broken.state).toBe('triage');
    expect(broken.embargoBrokenAt).toBe(ctx.clock.now().toISOString());
    expect(await codeOf(move(theCase, 'break_embargo', 'Again.'))).toBe('INVALID_TRANSITION');
    expect(await codeOf(move(theCase, 'close'))).toBe('VALIDATION_FAILED');
    await move(theCase, 'close', 'Not a vulnerability after all.');
    const row = await ctx.deps.db
      .selectFrom('case_severity')
      .select('next_reminder_at')
      .where('case_id', '=', theCase.id)
      .executeTakeFirstOrThrow();
    expect(row.next_reminder_at).toBeNull();
  });

  it('lets only one of two simultaneous moves from the same state through', async () => {
    const theCase = await makeCase(ctx, project, actor);
    const results = await Promise.all([codeOf(move(theCase, 'start_fix')), codeOf(move(theCase, 'start_fix'))]);
    expect(results.sort()).toEqual(['INVALID_TRANSITION', 'ok']);
    const moves = await ctx.deps.db
      .selectFrom('case_history')
      .select('id')
      .where('case_id', '=', theCase.id)
      .where('change', '=', 'state')
      .execute();
    expect(moves).toHaveLength(1);
  });

  it('becomes fix ready when the last affected branch without an approved patch turns out not affected', async () => {
    const theCase = await makeCase(ctx, project, actor);
    await move(theCase, 'start_fix');
    const system = { kind: 'system', label: 'test' } as const;
    const by = { actor: system, origin: noOrigin };
    const [main, old] = await Promise.all(
      ['main', 'v1.x'].map((name) =>
        tx((trx) =>
          addBranch(trx, ctx.clock, {
            by,
            projectId: project.id,
            name: `${name}-${theCase.number}`,
            endOfSupport: null,
          }),
        ),
      ),
    );
    if (!main || !old) throw new Error('no branches');
    for (const branch of [main, old]) {
      await tx((trx) => setBranchStatus(trx, ctx.deps, { ...by, theCase, branchId: branch.id, status: 'affected' }));
    }
    const patch = await tx((trx) =>
      uploadPatch(trx, ctx.deps, {
        ...by,
        theCase,
        branchId: main.id,
        filename: 'fix.diff',
        content: '--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-old\n+new\n',
      }),
    );
    await tx((trx) =>
      reviewPatch(trx, ctx.deps, { actor, origin: noOrigin, theCase, patchId: patch.id, verdict: 'approve' }),
    );
    expect(await stateOf(theCase)).toBe('fix_in_progress');
    await tx((trx) =>
      setBranchStatus(trx, ctx.deps, { actor, origin: noOrigin, theCase, branchId: old.id, status: 'not_affected' }),
    );
    expect(await stateOf(theCase)).toBe('fix_ready');
    // A new patch for a branch of a ready fix needs review: the fix is not ready any more.
    await tx((trx) =>
      uploadPatch(trx, ctx.deps, {
        ...by,
        theCase,
        branchId: main.id,
        filename: 'fix-v2.diff',
        content: '--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-old\n+newer\n',
      }),
    );
    expect(await stateOf(theCase)).toBe('fix_in_progress');
    const reopened = await ctx.deps.db
      .selectFrom('case_history')
      .select('reason')
      .where('case_id', '=', theCase.id)
      .where('change', '=', 'state')
      .execute();
    expect(reopened.map((r) => r.reason)).toContain(`A new patch for ${main.name} was uploaded and needs review.`);
    // The branch holds the case's fix work: removing it is refused (it would delete the patches).
    const removal = await codeOf(
      tx((trx) => removeBranch(trx, ctx.clock, { by, projectId: project.id, branchId: main.id })),
    );
    expect(removal).toBe('CONFLICT');
  });
});
