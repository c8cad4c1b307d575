import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS } from '../../src/clock.js';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import {
  activateEmbargo,
  cancelRelease,
  getEmbargo,
  proposeEmbargo,
  reviseEmbargo,
} from '../../src/domain/cases/embargo.service.js';
import { requireCase } from '../../src/domain/cases/cases.service.js';
import { caseNotices } from '../../src/domain/distributors/notices.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { getRetrospective } from '../../src/domain/release/retrospective.service.js';
import type { User } from '../../src/domain/users/users.js';
import { actorOf } from '../support/case-factory.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { makeDistributor, makeList, readyCase, type ReadyCase } from '../support/disclosure.js';
import { makeProject, makeUser } from '../support/factories.js';
import { testWorker } from '../mail/support.js';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp.js';

// The timeline of an embargo, step by step with a movable clock: each notice goes out at its time,
// once, to whom it should, and the go publishes at the release time.

describe.each(engines())('the embargo timeline on %s', (engine) => {
  let ctx: TestContext;
  let smtp: SmtpCapture;
  let project: Project;
  let lead: User;

  beforeEach(async () => {
    smtp = await startSmtpCapture();
    ctx = await createTestContext(engine, { env: { EMBARGO_SMTP_URL: smtp.url } });
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Widget' });
    lead = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin', email: `lead-${engine}@widget.example` });
  });
  afterEach(async () => {
    await ctx.close();
    await smtp.close();
  });

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);

  /** Runs every due job until none is left. */
  async function drain(): Promise<void> {
    const worker = testWorker(ctx);
    while ((await worker.runDue()) > 0) {
      // keep going: a job may enqueue more
    }
  }

  /** Mail received since `from`, by recipient and subject. */
  const mailSince = (from: number) =>
    smtp.messages
      .slice(from)
      .map((m, i) => ({ to: smtp.recipients[from + i]?.join(','), subject: m.subject ?? '', text: m.text ?? '' }));

  async function scheduled(): Promise<ReadyCase> {
    const ready = await readyCase(ctx, project, lead);
    const by = { actor: actorOf(lead, project, 'admin'), origin: noOrigin, theCase: ready.theCase };
    await tx((trx) => proposeEmbargo(trx, ctx.deps, by));
    await tx((trx) => activateEmbargo(trx, ctx.deps, by));
    return ready;
  }

  it('sends each notice at its time and publishes at the release', async () => {
    await makeDistributor(ctx, project, { name: 'Debian', contacts: [{ email: 'security@debian.example' }] });
    await makeDistributor(ctx, project, {
      name: 'Not accepted',
      contacts: [{ email: 'sec@nope.example' }],
      accepted: false,
    });
    await makeList(ctx, project, {
      name: 'security-announce',
      subscribers: ['alice@users.example', 'bob@users.example'],
    });
    await makeList(ctx, project, {
      name: 'announce',
      kinds: ['release'],
      subscribers: ['alice@users.example', 'carol@users.example'],
    });
    const { theCase } = await scheduled();
    const embargo = await getEmbargo(ctx.deps.db, theCase.id);
    if (
      !embargo?.distributorNoticeAt ||
      !embargo.publicNoticeAt ||
      !embargo.prereleaseNoticeAt ||
      !embargo.retrospectiveAt
    ) {
      throw new Error('the timeline is not planned');
    }
    await drain();
    let seen = smtp.messages.length;

    // Distributor notice: only the distributor that accepted the terms, with both patches attached.
    ctx.clock.set(embargo.distributorNoticeAt);
    await drain();
    const notice = mailSince(seen).filter((m) => m.to === 'security@debian.example');
    expect(notice).toHaveLength(1);
    expect(notice[0]?.subject).toMatch(/^\[EMBARGOED\] Widget: security release/);
    expect(notice[0]?.text).toContain('Heap overflow in the widget parser');
    const attached = smtp.messages.find((m) => m.subject === notice[0]?.subject)?.attachments ?? [];
    expect(attached.map((a) => a.filename).sort()).toHaveLength(2);
    expect(mailSince(seen).some((m) => m.to === 'sec@nope.example')).toBe(false);
    expect((await caseNotices(ctx.deps.db, theCase.id)).map((n) => n.distributorName)).toEqual(['Debian']);
    seen = smtp.messages.length;

    // Nothing public before the public notice time.
    ctx.clock.set(new Date(Date.parse(embargo.publicNoticeAt) - 1000));
    await drain();
    expect(mailSince(seen).filter((m) => m.to?.endsWith('@users.example'))).toEqual([]);

    // Fix forthcoming: to security-announce only (announce takes releases), without the details.
    ctx.clock.set(embargo.publicNoticeAt);
    await drain();
    const forthcoming = mailSince(seen).filter((m) => m.to?.endsWith('@users.example'));
    expect(forthcoming.map((m) => m.to).sort()).toEqual(['alice@users.example', 'bob@users.example']);
    for (const m of forthcoming) {
      expect(m.subject).toMatch(/security fix forthcoming/);
      expect(m.text).not.toContain('Heap overflow');
      expect(m.text).toContain('widget-parser (npm)');
    }
    seen = smtp.messages.length;

    // Pre-release notice to the distributor a day before.
    ctx.clock.set(embargo.prereleaseNoticeAt);
    await drain();
    expect(
      mailSince(seen)
        .filter((m) => m.to === 'security@debian.example')
        .map((m) => m.subject),
    ).toEqual([expect.stringMatching(/release in 24 hours/)]);
    seen = smtp.messages.length;

    // The go.
    ctx.clock.set(embargo.releaseAt);
    await drain();
    const published = await requireCase(ctx.deps.db, project.id, theCase.number);
    expect(published.state).toBe('published');
    expect(published.embargoed).toBe(false);
    const release = mailSince(seen).filter((m) => m.subject.includes('security advisory'));
    // alice is on both lists and gets one copy.
    expect(release.map((m) => m.to).sort()).toEqual([
      'alice@users.example',
      'bob@users.example',
      'carol@users.example',
    ]);
    for (const heading of [
      'Who is affected',
      'How to check',
      'Fixed versions',
      'How to upgrade',
      'Mitigations',
      'How to detect exploitation',
      'Credits',
    ]) {
      expect(release[0]?.text).toContain(heading);
    }
    expect(release[0]?.text).toMatch(/1\.4\.2/);
    expect(mailSince(seen).some((m) => m.to === 'security@debian.example' && /released/.test(m.subject))).toBe(true);
    expect(mailSince(seen).some((m) => m.to === 'ada@example.net' && /released/.test(m.subject))).toBe(true);

    // Nothing runs twice: running the jobs again sends nothing.
    const total = smtp.messages.length;
    ctx.clock.advance(HOUR_MS);
    await drain();
    expect(smtp.messages.length).toBe(total);

    // The retrospective.
    ctx.clock.set(embargo.retrospectiveAt);
    await drain();
    const retro = await getRetrospective(ctx.deps.db, theCase.id);
    expect(retro?.body).toMatch(/Report R-\w{4}-\w{4} received/);
    expect(retro?.body).toMatch(/Distributors notified: 1 organisations, 1 recipients/);
    expect(retro?.body).toMatch(/Acknowledgement of R-/);
  });

  it('re-plans on a revision, tells those already told, and a cancelled go publishes nothing', async () => {
    await makeDistributor(ctx, project, { name: 'Fedora', contacts: [{ email: 'security@fedora.example' }] });
    await makeList(ctx, project, { name: 'security-announce', subscribers: ['dave@users.example'] });
    const { theCase } = await scheduled();
    const first = await getEmbargo(ctx.deps.db, theCase.id);
    if (!first?.publicNoticeAt) throw new Error('no timeline');
    ctx.clock.set(first.publicNoticeAt);
    await drain();
    const seen = smtp.messages.length;

    const by = { actor: actorOf(lead, project, 'admin'), origin: noOrigin, theCase };
    const later = new Date(Date.parse(first.releaseAt) + 2 * DAY_MS).toISOString();
    await tx((trx) => reviseEmbargo(trx, ctx.deps, { ...by, releaseAt: later, reason: 'Waiting for a second fix.' }));
    await drain();
    const told = mailSince(seen);
    expect(told.find((m) => m.to === 'security@fedora.example')?.text).toContain('Waiting for a second fix.');
    const publicUpdate = told.find((m) => m.to === 'dave@users.example');
    expect(publicUpdate?.subject).toMatch(/moves to/);
    // The public does not hear the team's reason.
    expect(publicUpdate?.text).not.toContain('second fix');

    // At the old release time nothing happens.
    ctx.clock.set(first.releaseAt);
    await drain();
    expect((await requireCase(ctx.deps.db, project.id, theCase.number)).state).toBe('scheduled');

    // Cancelled before the new time: the go does nothing.
    await tx((trx) => cancelRelease(trx, ctx.deps, { ...by, reason: 'A regression was found.' }));
    ctx.clock.set(later);
    await drain();
    const after = await requireCase(ctx.deps.db, project.id, theCase.number);
    expect(after.state).toBe('fix_ready');
    expect(after.embargoed).toBe(true);
    expect(smtp.messages.some((m) => (m.subject ?? '').includes('security advisory'))).toBe(false);
  });
});
