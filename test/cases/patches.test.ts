import fs from 'node:fs';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { transitionCase } from '../../src/domain/cases/case-transitions.service.js';
import type { Case } from '../../src/domain/cases/cases.js';
import { requireCase } from '../../src/domain/cases/cases.service.js';
import { casePatches, getPatch, reviewPatch, uploadPatch, viewPatch } from '../../src/domain/cases/patches.service.js';
import { addBranch } from '../../src/domain/projects/branches.service.js';
import type { Project, ReleaseBranch } from '../../src/domain/projects/projects.js';
import type { User } from '../../src/domain/users/users.js';
import { DomainError } from '../../src/errors.js';
import type { Actor } from '../../src/policies/actor.js';
import { requirePatchCase } from '../../src/http/pages/case-patches.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { makeProject, makeUser } from '../support/factories.js';

const SERIES = fs.readFileSync(new URL('../fixtures/patches/series-rename-binary.patch', import.meta.url), 'utf8');
const diffFor = (marker: string) =>
  `--- a/src/parser.c\n+++ b/src/parser.c\n@@ -1,1 +1,2 @@\n int parse(void);\n+/* ${marker} */\n`;

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe.each(engines())('private patches on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let uploader: User;
  let reviewer: User;
  let up: Actor;
  let rev: Actor;
  const branches: Record<'current' | 'lts' | 'old' | 'clean', ReleaseBranch> = {} as never;

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);
  const upload = (theCase: Case, branch: ReleaseBranch, content: string, actor = up, filename = 'fix.patch') =>
    tx((trx) =>
      uploadPatch(trx, ctx.deps, { actor, origin: noOrigin, theCase, branchId: branch.id, filename, content }),
    );
  // Each review a minute after the last, so that "oldest first" has one answer.
  const review = (theCase: Case, patchId: string, verdict: string, actor = rev, comment?: string) => {
    ctx.clock.advance(60_000);
    return tx((trx) => reviewPatch(trx, ctx.deps, { actor, origin: noOrigin, theCase, patchId, verdict, comment }));
  };
  const stateOf = async (theCase: Case) => (await requireCase(ctx.deps.db, project.id, theCase.number)).state;
  const setBranch = (theCase: Case, branch: ReleaseBranch, status: string) =>
    ctx.deps.db
      .insertInto('case_branches')
      .values({
        case_id: theCase.id,
        branch_id: branch.id,
        status,
        fixed_version: null,
        updated_at: ctx.clock.now().toISOString(),
        updated_by: null,
      })
      .execute();
  const startFix = (theCase: Case) =>
    tx((trx) => transitionCase(trx, ctx.deps, { actor: up, origin: noOrigin, theCase, action: 'start_fix' }));

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Patch Project' });
    uploader = await makeUser(ctx.deps.db, ctx.clock, { project, name: 'Ulla Uploader' });
    reviewer = await makeUser(ctx.deps.db, ctx.clock, { project, name: 'Rita Reviewer' });
    up = actorOf(uploader, project);
    rev = actorOf(reviewer, project);
    const branch = (name: string, endOfSupport: string | null) =>
      tx((trx) =>
        addBranch(trx, ctx.clock, { by: { actor: up, origin: noOrigin }, projectId: project.id, name, endOfSupport }),
      );
    // The clock reads 2026-03-02: "old" ended its support before, "lts" ends it later.
    branches.current = await branch('main', null);
    branches.lts = await branch('2.4', '2027-01-31');
    branches.old = await branch('1.0', '2025-12-31');
    branches.clean = await branch('3.0', null);
  });
  afterAll(() => ctx.close());

  it('stores an upload in review with its kind and SHA-256; the history and audit hold no patch text', async () => {
    const theCase = await makeCase(ctx, project, up);
    ctx.clock.advance(60_000);
    const patch = await upload(theCase, branches.current, SERIES, up, '0001-parser.patch');
    expect(patch).toMatchObject({
      branchId: branches.current.id,
      branchName: 'main',
      filename: '0001-parser.patch',
      kind: 'format-patch',
      status: 'in_review',
      uploadedBy: uploader.id,
      uploaderName: 'Ulla Uploader',
      sha256: crypto.createHash('sha256').update(SERIES).digest('hex'),
      reviews: [],
    });
    const stored = await getPatch(ctx.deps.db, theCase, patch.id);
    expect(stored.content).toBe(SERIES);
    expect(stored.parsed.parts.map((p) => p.subject)).toEqual([
      'parser: refuse input longer than the buffer',
      'Move util.h to include/ and add the logo — übersichtlich',
    ]);
    const history = await ctx.deps.db
      .selectFrom('case_history')
      .selectAll()
      .where('case_id', '=', theCase.id)
      .where('change', '=', 'patch.uploaded')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(history.value ?? 'null')).toEqual({
      branch: 'main',
      filename: '0001-parser.patch',
      sha256: patch.sha256,
    });
    const audit = await ctx.deps.db
      .selectFrom('audit_log')
      .selectAll()
      .where('subject_id', '=', theCase.id)
      .where('action', '=', 'case.patch.uploaded')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(audit.detail ?? '{}')).toMatchObject({ patchId: patch.id, sha256: patch.sha256 });
    for (const text of [history.value, history.reason, audit.detail]) expect(text ?? '').not.toContain('memcpy');
    // The change moved the case: its reminder clock restarts from now.
    const moved = await requireCase(ctx.deps.db, project.id, theCase.number);
    expect(moved.updatedAt).toBe(ctx.clock.now().toISOString());
  });

  it('supersedes the branch’s previous patch with a new upload, and keeps both', async () => {
    const theCase = await makeCase(ctx, project, up);
    const first = await upload(theCase, branches.current, diffFor('first'));
    await review(theCase, first.id, 'request_changes', rev, 'Check n == 0 too.');
    const other = await upload(theCase, branches.lts, diffFor('lts'));
    const second = await upload(theCase, branches.current, diffFor('second'), up, '');
    expect(second).toMatchObject({ status: 'in_review', kind: 'diff', filename: 'main.diff' });
    const list = await casePatches(ctx.deps.db, theCase.id);
    expect(list.map((b) => [b.branchName, b.latest.id, b.superseded.map((p) => p.id)])).toEqual([
      ['2.4', other.id, []],
      ['main', second.id, [first.id]],
    ]);
    const old = list[1]?.superseded[0];
    expect(old?.status).toBe('superseded');
    expect(old?.reviews.map((r) => [r.verdict, r.comment, r.reviewerName])).toEqual([
      ['request_changes', 'Check n == 0 too.', 'Rita Reviewer'],
    ]);
    // A superseded patch takes comments, not verdicts.
    const err = await refusal(review(theCase, first.id, 'approve'));
    expect(err.code).toBe('INVALID_TRANSITION');
    await review(theCase, first.id, 'comment', rev, 'Fine in the new one.');
    expect((await getPatch(ctx.deps.db, theCase, first.id)).status).toBe('superseded');
  });

  it('refuses a branch of another project, text without a diff, and no branch, storing nothing', async () => {
    const theCase = await makeCase(ctx, project, up);
    const elsewhere = await makeProject(ctx.deps.db, ctx.clock);
    const foreign = await tx((trx) =>
      addBranch(trx, ctx.clock, {
        by: { actor: up, origin: noOrigin },
        projectId: elsewhere.id,
        name: 'main',
        endOfSupport: null,
      }),
    );
    expect((await refusal(upload(theCase, foreign, diffFor('x')))).code).toBe('NOT_FOUND');
    const garbage = await refusal(upload(theCase, branches.current, 'Please just add a length check.'));
    expect(garbage).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'patch' } });
    const noBranch = await refusal(
      tx((trx) =>
        uploadPatch(trx, ctx.deps, {
          actor: up,
          origin: noOrigin,
          theCase,
          branchId: '',
          filename: 'x.patch',
          content: diffFor('x'),
        }),
      ),
    );
    expect(noBranch).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'branchId' } });
    const rows = await ctx.deps.db.selectFrom('patches').select('id').where('case_id', '=', theCase.id).execute();
    expect(rows).toEqual([]);
  });

  it('sets the status from each verdict; nobody approves their own upload', async () => {
    const theCase = await makeCase(ctx, project, up);
    const patch = await upload(theCase, branches.current, diffFor('verdicts'));
    const own = await refusal(review(theCase, patch.id, 'approve', up));
    expect(own).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'verdict' } });
    expect(own.message).toMatch(/You uploaded this patch/);
    const bare = await refusal(review(theCase, patch.id, 'request_changes', rev, '   '));
    expect(bare).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'comment' } });
    expect((await refusal(review(theCase, patch.id, 'merge'))).details).toEqual({ field: 'verdict' });

    const asked = await review(theCase, patch.id, 'request_changes', rev, 'Use size_t.');
    expect(asked.patch.status).toBe('changes_requested');
    const noted = await review(theCase, patch.id, 'comment', up, 'Done in v2? No: explained why not.');
    expect(noted.patch.status).toBe('changes_requested');
    const approved = await review(theCase, patch.id, 'approve', rev);
    expect(approved).toMatchObject({ fixReady: false, patch: { status: 'approved' } });
    expect(approved.patch.reviews.map((r) => r.verdict)).toEqual(['request_changes', 'comment', 'approve']);

    const history = await ctx.deps.db
      .selectFrom('case_history')
      .select(['value', 'reason'])
      .where('case_id', '=', theCase.id)
      .where('change', '=', 'patch.reviewed')
      .orderBy('at')
      .execute();
    expect(history.map((h) => JSON.parse(h.value ?? 'null').status)).toEqual([
      'changes_requested',
      'changes_requested',
      'approved',
    ]);
    expect(history[0]?.reason).toBe('Use size_t.');
    const audits = await ctx.deps.db
      .selectFrom('audit_log')
      .select('detail')
      .where('subject_id', '=', theCase.id)
      .where('action', '=', 'case.patch.reviewed')
      .execute();
    expect(audits).toHaveLength(3);
    for (const a of audits) expect(a.detail ?? '').not.toContain('size_t');
  });

  it('moves the case to fix_ready exactly when the last affected supported branch gets its approval', async () => {
    const theCase = await makeCase(ctx, project, up);
    await setBranch(theCase, branches.current, 'affected');
    await setBranch(theCase, branches.lts, 'affected');
    await setBranch(theCase, branches.old, 'affected'); // out of support: needs no patch
    await setBranch(theCase, branches.clean, 'not_affected');
    await startFix(theCase);

    const main = await upload(theCase, branches.current, diffFor('main'));
    const lts = await upload(theCase, branches.lts, diffFor('lts'));
    expect((await review(theCase, main.id, 'approve')).fixReady).toBe(false);
    expect(await stateOf(theCase)).toBe('fix_in_progress');
    // Changes requested on the last branch: still not ready.
    await review(theCase, lts.id, 'request_changes', rev, 'Backport the test too.');
    expect(await stateOf(theCase)).toBe('fix_in_progress');
    // A new upload replaces it; its approval completes the fix.
    const lts2 = await upload(theCase, branches.lts, diffFor('lts with test'));
    const last = await review(theCase, lts2.id, 'approve');
    expect(last.fixReady).toBe(true);
    expect(await stateOf(theCase)).toBe('fix_ready');

    const state = await ctx.deps.db
      .selectFrom('case_history')
      .selectAll()
      .where('case_id', '=', theCase.id)
      .where('change', '=', 'state')
      .orderBy('at', 'desc')
      .orderBy('id')
      .execute();
    expect(state.map((h) => JSON.parse(h.value ?? 'null'))).toContain('fix_ready');
    expect(state.find((h) => h.value === '"fix_ready"')).toMatchObject({
      previous: '"fix_in_progress"',
      actor_label: reviewer.email,
      reason: 'Every affected supported branch has an approved patch.',
    });
    // The reporter is told of the milestone.
    const told = await ctx.deps.db
      .selectFrom('outbound_emails')
      .innerJoin('reports', 'reports.id', 'outbound_emails.report_id')
      .select('outbound_emails.template')
      .where('reports.case_id', '=', theCase.id)
      .where('outbound_emails.template', '=', 'case-progress')
      .execute();
    expect(told).toHaveLength(1);
    // A later approval (here: of a branch out of support) does not move it again.
    const extra = await upload(theCase, branches.old, diffFor('old'));
    expect((await review(theCase, extra.id, 'approve')).fixReady).toBe(false);
    expect(await stateOf(theCase)).toBe('fix_ready');
  });

  it('leaves the state alone outside fix_in_progress, and with no affected supported branch', async () => {
    const inTriage = await makeCase(ctx, project, up);
    await setBranch(inTriage, branches.current, 'affected');
    const p1 = await upload(inTriage, branches.current, diffFor('triage'));
    expect((await review(inTriage, p1.id, 'approve')).fixReady).toBe(false);
    expect(await stateOf(inTriage)).toBe('triage');

    const unknown = await makeCase(ctx, project, up);
    await setBranch(unknown, branches.current, 'unknown');
    await setBranch(unknown, branches.old, 'affected');
    await startFix(unknown);
    const p2 = await upload(unknown, branches.current, diffFor('unknown'));
    expect((await review(unknown, p2.id, 'approve')).fixReady).toBe(false);
    expect(await stateOf(unknown)).toBe('fix_in_progress');
  });

  it('audits every read of a patch, and finds no patch through another case', async () => {
    const theCase = await makeCase(ctx, project, up);
    const otherCase = await makeCase(ctx, project, up);
    const patch = await upload(theCase, branches.current, diffFor('read'));
    await tx((trx) => viewPatch(trx, ctx.deps, { actor: rev, origin: noOrigin, theCase, patchId: patch.id }));
    ctx.clock.advance(60_000);
    await tx((trx) =>
      viewPatch(trx, ctx.deps, { actor: rev, origin: noOrigin, theCase, patchId: patch.id, download: true }),
    );
    const reads = await ctx.deps.db
      .selectFrom('audit_log')
      .select(['actor_label', 'detail'])
      .where('subject_id', '=', theCase.id)
      .where('action', '=', 'case.patch.viewed')
      .orderBy('at')
      .execute();
    expect(reads.map((r) => [r.actor_label, JSON.parse(r.detail ?? '{}').download ?? false])).toEqual([
      [reviewer.email, false],
      [reviewer.email, true],
    ]);
    const err = await refusal(getPatch(ctx.deps.db, otherCase, patch.id));
    expect(err.code).toBe('NOT_FOUND');
    expect((await refusal(review(otherCase, patch.id, 'approve'))).code).toBe('NOT_FOUND');
  });

  it('lets a case’s invited collaborator upload and read its patches, not review them or touch other cases', async () => {
    const theCase = await makeCase(ctx, project, up);
    const otherCase = await makeCase(ctx, project, up);
    const outsider = await makeUser(ctx.deps.db, ctx.clock);
    const collaborator: Actor = {
      kind: 'user',
      userId: outsider.id,
      email: outsider.email,
      name: outsider.name,
      isInstanceAdmin: false,
      roles: new Map(),
      caseGrants: new Map([[theCase.id, project.id]]),
    };
    const request = (c: Case) => ({ actor: collaborator, params: { slug: project.slug, number: String(c.number) } });
    const found = await requirePatchCase(ctx.deps.db, request(theCase), 'case.patch.upload');
    expect(found.theCase.id).toBe(theCase.id);
    await requirePatchCase(ctx.deps.db, request(theCase), 'case.read');
    expect((await refusal(requirePatchCase(ctx.deps.db, request(theCase), 'case.patch.review'))).code).toBe(
      'NOT_FOUND',
    );
    expect((await refusal(requirePatchCase(ctx.deps.db, request(otherCase), 'case.patch.upload'))).code).toBe(
      'NOT_FOUND',
    );
    const missing = { actor: collaborator, params: { slug: project.slug, number: '999999' } };
    expect((await refusal(requirePatchCase(ctx.deps.db, missing, 'case.read'))).code).toBe('NOT_FOUND');
    const anonymous = { actor: { kind: 'anonymous' } as const, params: missing.params };
    expect((await refusal(requirePatchCase(ctx.deps.db, anonymous, 'case.read'))).code).toBe('AUTH_REQUIRED');
    const patch = await upload(theCase, branches.current, diffFor('from outside'), collaborator);
    expect(patch.uploadedBy).toBe(outsider.id);
  });
});
