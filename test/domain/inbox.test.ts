import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from '../../src/clock.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { ackClock } from '../../src/domain/reports/ack-clock.js';
import { listInbox } from '../../src/domain/reports/inbox.service.js';
import type { Report } from '../../src/domain/reports/reports.js';
import * as triage from '../../src/domain/reports/triage.service.js';
import { ackClockText } from '../../src/http/views/ack-clock.js';
import type { Actor } from '../../src/policies/actor.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { makeProject } from '../support/factories.js';
import { makeReport } from '../support/report-factory.js';

describe('acknowledgement clock', () => {
  const received = '2026-03-02T09:00:00.000Z';
  const due = '2026-03-03T09:00:00.000Z';

  it('counts down to the target, then up past it', () => {
    const early = ackClock(
      { receivedAt: received, ackDueAt: due, acknowledgedAt: null },
      new Date('2026-03-03T03:50:00Z'),
    );
    expect(early).toEqual({ state: 'due', dueAt: due, acknowledgedAt: null, dueInMs: 5 * HOUR_MS + 10 * MINUTE_MS });
    expect(ackClockText(early)).toBe('due in 5 h 10 min');

    const late = ackClock(
      { receivedAt: received, ackDueAt: due, acknowledgedAt: null },
      new Date('2026-03-03T11:00:00Z'),
    );
    expect(late).toEqual({ state: 'overdue', dueAt: due, acknowledgedAt: null, overdueMs: 2 * HOUR_MS });
    expect(ackClockText(late)).toBe('overdue by 2 h');

    const long = ackClock(
      { receivedAt: received, ackDueAt: due, acknowledgedAt: null },
      new Date('2026-03-06T09:00:00Z'),
    );
    expect(ackClockText(long)).toBe('overdue by 3 d');
  });

  it('stops at the acknowledgement and says whether it was late', () => {
    const met = ackClock(
      { receivedAt: received, ackDueAt: due, acknowledgedAt: '2026-03-02T12:00:00.000Z' },
      new Date(),
    );
    expect(met).toMatchObject({ state: 'acknowledged', afterMs: 3 * HOUR_MS, late: false });
    expect(ackClockText(met)).toBe('acknowledged after 3 h');
    const missed = ackClock(
      { receivedAt: received, ackDueAt: due, acknowledgedAt: '2026-03-03T09:30:00.000Z' },
      new Date(),
    );
    expect(missed).toMatchObject({ state: 'acknowledged', late: true });
    expect(ackClockText(missed)).toBe('acknowledged after 24 h 30 min (late)');
  });
});

describe.each(engines())('inbox on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(() => ctx.close());

  const actor: Actor = { kind: 'system', label: 'test' };

  async function run<T>(fn: (trx: Parameters<typeof triage.acknowledge>[0]) => Promise<T>): Promise<T> {
    return ctx.deps.db.transaction().execute(fn);
  }
  const target = (report: Report) => ({ actor, origin: noOrigin, projectId: report.projectId, reportId: report.id });

  it('lists the most urgent first, across acknowledgement targets, with per-state counts', async () => {
    const t0 = ctx.clock.now().getTime();
    const project = await makeProject(ctx.deps.db, ctx.clock, { ackTargetHours: 24 });
    const { report: slow } = await makeReport(ctx, project, { title: 'due in 24 h' });
    // The project tightens its target: the next report, though newer, is due first.
    await ctx.deps.db.updateTable('projects').set({ ack_target_hours: 4 }).where('id', '=', project.id).execute();
    ctx.clock.advance(HOUR_MS);
    const { report: fast } = await makeReport(ctx, project, { title: 'due in 4 h' });
    const { report: asked } = await makeReport(ctx, project, { title: 'asked' });
    const { report: acked } = await makeReport(ctx, project, { title: 'acked' });
    const { report: accepted } = await makeReport(ctx, project, { title: 'accepted' });
    const { report: closed } = await makeReport(ctx, project, { title: 'closed' });
    const other = await makeProject(ctx.deps.db, ctx.clock);
    await makeReport(ctx, other, { title: 'another project' });

    ctx.clock.advance(HOUR_MS);
    await run((trx) => triage.requestInfo(trx, ctx.deps, { ...target(asked), message: 'Which version?' }));
    ctx.clock.advance(HOUR_MS);
    await run((trx) => triage.acknowledge(trx, ctx.deps, { ...target(acked), message: 'Thanks.' }));
    await run((trx) => triage.close(trx, ctx.deps, { ...target(closed), reason: 'informative' }));
    ctx.clock.advance(HOUR_MS);
    await run((trx) => triage.accept(trx, ctx.deps, target(accepted)));

    // Now t0 + 4 h: `fast` (received at t0 + 1 h, 4 h target) has 1 h left; `slow` has 20 h.
    const all = await listInbox(ctx.deps.db, ctx.deps, { projectId: project.id, status: 'all' });
    expect(all.items.map((i) => i.title)).toEqual([
      'due in 4 h',
      'due in 24 h',
      'asked',
      'acked',
      'accepted',
      'closed',
    ]);
    expect(all.counts).toEqual({ open: 4, new: 2, acknowledged: 1, needs_info: 1, accepted: 1, closed: 1, all: 6 });
    expect(all.items[0]?.ackClock).toEqual({
      state: 'due',
      dueAt: new Date(t0 + 5 * HOUR_MS).toISOString(),
      acknowledgedAt: null,
      dueInMs: HOUR_MS,
    });
    expect(all.items[1]?.ackClock).toMatchObject({ state: 'due', dueInMs: 20 * HOUR_MS });
    expect(all.items.find((i) => i.id === acked.id)?.ackClock).toMatchObject({
      state: 'acknowledged',
      afterMs: 2 * HOUR_MS,
      late: false,
    });

    const open = await listInbox(ctx.deps.db, ctx.deps, { projectId: project.id });
    expect(open.filter).toBe('open');
    expect(open.items.map((i) => i.id)).toEqual([fast.id, slow.id, asked.id, acked.id]);

    // Two hours on, the short-target report is overdue and still first.
    ctx.clock.advance(2 * HOUR_MS);
    const later = await listInbox(ctx.deps.db, ctx.deps, { projectId: project.id, status: 'new' });
    expect(later.items.map((i) => i.id)).toEqual([fast.id, slow.id]);
    expect(later.items[0]?.ackClock).toMatchObject({ state: 'overdue', overdueMs: HOUR_MS });
    expect(later.items[1]?.ackClock).toMatchObject({ state: 'due', dueInMs: 18 * HOUR_MS });
  });

  it('orders open reports stalest first, and finished ones most recently changed first', async () => {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const made = [];
    for (const title of ['a', 'b', 'c', 'd']) made.push((await makeReport(ctx, project, { title })).report);
    const [a, b, c, d] = made as [Report, Report, Report, Report];
    await run((trx) => triage.acknowledge(trx, ctx.deps, { ...target(a), message: 'Thanks.' }));
    ctx.clock.advance(MINUTE_MS);
    await run((trx) => triage.acknowledge(trx, ctx.deps, { ...target(b), message: 'Thanks.' }));
    await run((trx) => triage.close(trx, ctx.deps, { ...target(c), reason: 'out_of_scope' }));
    ctx.clock.advance(MINUTE_MS);
    await run((trx) => triage.close(trx, ctx.deps, { ...target(d), reason: 'out_of_scope' }));
    // Activity on `a` makes it the fresher of the two open ones.
    ctx.clock.advance(MINUTE_MS);
    await run((trx) => triage.addNote(trx, ctx.deps, { ...target(a), body: 'Looking.' }));

    const all = await listInbox(ctx.deps.db, ctx.deps, { projectId: project.id, status: 'all' });
    expect(all.items.map((i) => i.title)).toEqual(['b', 'a', 'd', 'c']);
    const closed = await listInbox(ctx.deps.db, ctx.deps, { projectId: project.id, status: 'closed' });
    expect(closed.items.map((i) => [i.title, i.closeReason])).toEqual([
      ['d', 'out_of_scope'],
      ['c', 'out_of_scope'],
    ]);
  });
});
