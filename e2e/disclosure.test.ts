import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { go, launchChromium, SHOTS } from './support/chromium.js';
import { noOrigin } from '../src/domain/audit/audit.js';
import { formatUtc } from '../src/domain/cases/embargo-timeline.js';
import { type Embargo, getEmbargo, proposeEmbargo } from '../src/domain/cases/embargo.service.js';
import { setFixLead } from '../src/domain/cases/fix-team.service.js';
import { addBranch } from '../src/domain/projects/branches.service.js';
import type { Project } from '../src/domain/projects/projects.js';
import type { User } from '../src/domain/users/users.js';
import { testWorker } from '../test/mail/support.js';
import { createTestContext, type TestContext } from '../test/support/app.js';
import { actorOf, makeCase } from '../test/support/case-factory.js';
import { engines } from '../test/support/databases.js';
import { makeDistributor, makeList, PATCH_FOR } from '../test/support/disclosure.js';
import { makeProject, makeUser, TEST_PASSWORD } from '../test/support/factories.js';

// Issue 5's "done when" in Debian's Chromium against a real server (a real port) whose clock is a
// ManualClock the test moves, with the jobs run by the test over the same deps: a member takes an
// accepted case to a published advisory through the pages only (Fix Team, affected branches, a patch
// per branch approved by another member, the advisory draft, the embargo), sees the timeline on the
// case and on both calendars, then watches each step of the timeline happen as the clock reaches it.
// Then the embargo and advisory forms with JavaScript off, and the local times in Tokyo.

const BRANCHES = ['1.4', '2.1'] as const;
const SUMMARY = 'Heap overflow in the widget header parser';
const DETAILS = 'A crafted header makes `parse_header` write past its heap buffer: remote code execution.';
const SUBSCRIBER = 'alice@users.example';
const DISTRIBUTOR_CONTACT = 'security@debian.example';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** The text of an element with its white space (including ICU's narrow no-break spaces) made plain. */
const plain = (text: string | null) => (text ?? '').replace(/\s+/g, ' ').trim();

/** What local-time.js writes beside a UTC time for a viewer in `timeZone` with the en-US locale. */
function localTimeText(at: string, timeZone: string): string {
  const format = new Intl.DateTimeFormat('en-US', {
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    timeZone,
  });
  return plain(`(your time: ${format.format(new Date(at))})`);
}

/** The planned steps of an embargo, as the pages name them (data-step) and write them (UTC). */
function plannedSteps(e: Embargo): [string, string][] {
  const steps: [string, string | null][] = [
    ['distributor-notice', e.distributorNoticeAt],
    ['public-notice', e.publicNoticeAt],
    ['prerelease-notice', e.prereleaseNoticeAt],
    ['release', e.releaseAt],
    ['retrospective', e.retrospectiveAt],
  ];
  return steps.map(([key, at]) => {
    if (!at) throw new Error(`the ${key} step is not planned`);
    return [key, at];
  });
}

describe.each(engines())('disclosure of a case in Chromium on %s', (engine) => {
  let ctx: TestContext;
  let base: string;
  let project: Project;
  let lead: User;
  let reviewer: User;
  let shot = 0;
  const contexts: BrowserContext[] = [];

  async function screenshot(page: Page, name: string): Promise<void> {
    shot += 1;
    await page.screenshot({
      path: path.join(SHOTS, `${engine}-disclosure-${String(shot).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
  }

  async function newPage(options: { javaScriptEnabled?: boolean; timezoneId?: string } = {}): Promise<Page> {
    const context = await browser.newContext({ locale: 'en-US', ...options });
    contexts.push(context);
    return context.newPage();
  }

  /** A page signed in as `user` through the sign-in form. */
  async function signedIn(user: User, options: { javaScriptEnabled?: boolean; timezoneId?: string } = {}) {
    const page = await newPage(options);
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await go(page, page.getByRole('button', { name: 'Sign in' }));
    expect(page.url()).toMatch(/\/projects$/);
    return page;
  }

  /** Runs every due job at the clock's time until none is left (a job may enqueue more). */
  async function drain(): Promise<void> {
    const worker = testWorker(ctx, `e2e-${engine}`);
    while ((await worker.runDue()) > 0) {
      // keep going
    }
  }

  /** A case of the project at fix_in_progress: accepted from a report, with `lead` as its Fix Lead. */
  async function caseBeingFixed(title: string) {
    const actor = actorOf(lead, project, 'admin');
    const opened = await makeCase(ctx, project, actor, title);
    await ctx.deps.db
      .transaction()
      .execute((trx) => setFixLead(trx, ctx.deps, { actor, origin: noOrigin, theCase: opened, userId: lead.id }));
    return opened;
  }

  const embargoOf = async (caseId: string): Promise<Embargo> => {
    const embargo = await getEmbargo(ctx.deps.db, caseId);
    if (!embargo) throw new Error('the case has no embargo');
    return embargo;
  };

  beforeAll(async () => {
    // Mail is stored, not sent (no EMBARGO_SMTP_URL): the project's "Mail sent" page shows each message.
    ctx = await createTestContext(engine);
    base = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    ctx.deps.config.publicUrl = new URL(base);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Libwidget' });
    lead = await makeUser(ctx.deps.db, ctx.clock, { name: 'Ada Lead', project, role: 'admin' });
    reviewer = await makeUser(ctx.deps.db, ctx.clock, { name: 'Ben Reviewer', project, role: 'security' });
    const by = { actor: actorOf(lead, project, 'admin'), origin: noOrigin };
    await ctx.deps.db.transaction().execute(async (trx) => {
      for (const name of BRANCHES)
        await addBranch(trx, ctx.clock, { by, projectId: project.id, name, endOfSupport: null });
    });
    await makeDistributor(ctx, project, { name: 'Debian', contacts: [{ email: DISTRIBUTOR_CONTACT }] });
    await makeList(ctx, project, { name: 'security-announce', subscribers: [SUBSCRIBER] });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await ctx?.close();
  });

  it('takes an accepted case to a published advisory in the browser, each step at its planned time', async () => {
    const opened = await makeCase(ctx, project, actorOf(lead, project, 'admin'), 'Overflow in header parsing');
    const page = await signedIn(lead);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const caseUrl = `${base}/p/${project.slug}/cases/${opened.number}`;
    const state = () => page.locator('.facts .badge').first().textContent();

    // The way in: projects, the inbox's accepted reports, the report, its case.
    await go(page, page.getByRole('link', { name: 'Inbox', exact: true }));
    await go(page, page.getByRole('link', { name: /^Accepted/ }));
    await go(page, page.getByRole('link', { name: 'Overflow in header parsing' }));
    await go(page, page.getByRole('link', { name: `case #${opened.number}` }));
    expect(page.url()).toBe(caseUrl);
    expect(await state()).toBe('triage');
    await screenshot(page, 'case-triage');

    // 1. The Fix Team forms when the Fix Lead is set: the case is being fixed.
    const team = page.locator('#team');
    await team.locator('#team-lead').selectOption(lead.id);
    await go(page, team.getByRole('button', { name: 'Set Fix Lead' }));
    await expect.poll(() => team.locator(`[data-lead="${lead.id}"]`).count()).toBe(1);
    expect(await state()).toBe('fix_in_progress');

    // 2. Both release branches affected, and the package with its range on each.
    const affected = page.locator('#affected');
    for (const name of BRANCHES) {
      const row = affected.locator(`tr[data-branch="${name}"]`);
      await row.locator('select[name="status"]').selectOption('affected');
      await go(page, row.getByRole('button', { name: 'Save' }));
      expect(await affected.locator(`tr[data-branch="${name}"] select[name="status"]`).inputValue()).toBe('affected');
    }
    const addPackage = affected.locator('form[action$="/affected/packages"]');
    await addPackage.locator('select[name="ecosystem"]').selectOption('npm');
    await addPackage.locator('input[name="name"]').fill('widget-parser');
    await go(page, addPackage.getByRole('button', { name: 'Add package' }));
    for (const [i, name] of BRANCHES.entries()) {
      const form = affected.locator('[data-package="npm/widget-parser"] form.add-range');
      await form.locator('input[name="introduced"]').fill(`${i + 1}.0.0`);
      await form.locator('input[name="fixed"]').fill(`${name}.9`);
      await form.locator('select[name="branchId"]').selectOption({ label: name });
      await go(page, form.getByRole('button', { name: 'Add range' }));
    }
    expect(await affected.locator('table.ranges tbody tr').count()).toBe(2);
    await screenshot(page, 'team-and-affected');

    // 3. A patch per branch: one pasted, one uploaded as a file.
    const patches = page.locator('#patches');
    const filename = (branch: string) => `0001-bound-the-parser-${branch}.patch`;
    await patches.locator('#patch-branch').selectOption({ label: '1.4' });
    await patches.locator('#patch-content').fill(PATCH_FOR('1.4'));
    await patches.locator('#patch-filename').fill(filename('1.4'));
    await go(page, patches.getByRole('button', { name: 'Upload patch' }));
    await patches.locator('#patch-branch').selectOption({ label: '2.1' });
    await patches.locator('#patch-file').setInputFiles({
      name: filename('2.1'),
      mimeType: 'text/x-patch',
      buffer: Buffer.from(PATCH_FOR('2.1')),
    });
    await go(page, patches.getByRole('button', { name: 'Upload patch' }));
    for (const name of BRANCHES) await expect.poll(() => patches.textContent()).toContain(filename(name));
    await screenshot(page, 'patches-uploaded');

    // The uploader may not approve their own patch: the form offers no Approve.
    await go(page, patches.getByRole('link', { name: filename('1.4') }));
    expect(await page.locator('#review-form input[value="approve"]').count()).toBe(0);
    expect(await page.locator('#review-form').textContent()).toContain('another member approves it');
    await page.goto(caseUrl);

    // 4. Another member approves both; the last approval makes the case "fix ready" by itself.
    const other = await signedIn(reviewer);
    await other.goto(caseUrl);
    const reviewLinks = await other.locator('#patches').getByRole('link', { name: 'Review' }).all();
    const hrefs = await Promise.all(reviewLinks.map((a) => a.getAttribute('href')));
    expect(hrefs).toHaveLength(2);
    for (const href of hrefs) {
      await other.goto(`${base}${href ?? ''}`);
      const review = other.locator('#review-form');
      expect(await review.locator('input[value="approve"]').isChecked()).toBe(true);
      await review.locator('textarea[name="comment"]').fill('Checked the bounds; applies cleanly.');
      await go(other, review.getByRole('button', { name: 'Send review' }));
      expect(plain(await other.locator('h1 .badge').textContent())).toMatch(/approved/i);
    }
    await screenshot(other, 'patch-approved');
    await page.goto(caseUrl);
    expect(await state()).toBe('fix_ready');
    expect(await page.locator('#patches table.patches').textContent()).toContain('Ben Reviewer: approved');

    // 5. The advisory draft, on its own page.
    await go(page, page.locator('#advisory').getByRole('link', { name: 'Write the advisory draft' }));
    await page.locator('#advisory-summary').fill(SUMMARY);
    await page.locator('#advisory-details').fill(DETAILS);
    await page.locator('#advisory-affected').fill('Every server that parses untrusted headers.');
    await page.locator('#advisory-howToCheck').fill('Run `widget --version`.');
    await page.locator('#advisory-upgrade').fill('Install the fixed release of your branch.');
    await page.locator('#advisory-mitigations').fill('Drop headers longer than 8 KB at the proxy.');
    await page.locator('#advisory-detection').fill('Look for parser crashes in the logs.');
    await screenshot(page, 'advisory-draft');
    await go(page, page.getByRole('button', { name: 'Save the draft' }));
    expect(await page.locator('.notice[role="status"]').textContent()).toContain('Saved.');
    await go(page, page.getByRole('link', { name: `Case #${opened.number}` }));
    expect(await page.locator('#advisory [data-advisory-summary]').textContent()).toBe(SUMMARY);

    // 6. The embargo: propose the planned slot, then put it in force (the release is scheduled).
    const embargoSection = page.locator('#embargo');
    const proposedAt = await embargoSection.locator('#embargo-propose-at').inputValue();
    await go(page, embargoSection.getByRole('button', { name: 'Propose the embargo' }));
    expect(await embargoSection.locator('[data-embargo-state]').getAttribute('data-embargo-state')).toBe('proposed');
    await go(page, embargoSection.getByRole('button', { name: 'Put the embargo in force and schedule the release' }));
    expect(await embargoSection.locator('[data-embargo-state]').getAttribute('data-embargo-state')).toBe('active');
    expect(await state()).toBe('scheduled');
    const embargo = await embargoOf(opened.id);
    expect(embargo.releaseAt.slice(0, 16)).toBe(proposedAt);
    const steps = plannedSteps(embargo);
    for (const [key, at] of steps) {
      const step = embargoSection.locator(`li[data-step="${key}"] time`).first();
      expect(await step.getAttribute('datetime')).toBe(at);
      expect(await step.textContent()).toBe(formatUtc(new Date(at)));
    }
    await screenshot(page, 'embargo-active');

    // The planned timeline on the project's calendar and on the calendar of all the member's projects.
    for (const [url, row] of [
      [`${base}/p/${project.slug}/embargoes`, `${opened.number}`],
      [`${base}/embargoes`, `${project.slug}#${opened.number}`],
    ] as const) {
      await page.goto(url);
      const cells = page.locator(`tr[data-case="${row}"]`);
      await expect.poll(() => cells.count()).toBe(1);
      expect(await cells.locator('[data-embargo-state]').textContent()).toBe('active');
      expect(await cells.locator('time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')))).toEqual(
        steps.map(([, at]) => at),
      );
      await screenshot(page, url.endsWith('/p/' + project.slug + '/embargoes') ? 'project-calendar' : 'all-calendar');
    }

    // Nothing is public yet: no announcement, no advisory.
    const visitor = await newPage({ javaScriptEnabled: false });
    await visitor.goto(`${base}/p/${project.slug}/announcements`);
    expect(await visitor.content()).toContain('No announcement yet.');
    await visitor.goto(`${base}/p/${project.slug}/advisories`);
    expect(await visitor.content()).not.toContain(SUMMARY);

    // 7. Distributor notice time: Debian is sent the draft and both patches; the case shows it.
    ctx.clock.set(embargo.distributorNoticeAt ?? '');
    await drain();
    await page.goto(caseUrl);
    const notice = page.locator('#disclosure [data-distributor="Debian"]');
    await expect.poll(() => notice.count()).toBe(1);
    const noticeText = plain(await notice.textContent());
    expect(noticeText).toContain(SUMMARY);
    expect(noticeText).toContain('with 2 patches');
    for (const name of BRANCHES) expect(noticeText).toContain(filename(name));
    expect(await notice.locator(`tr[data-recipient="${DISTRIBUTOR_CONTACT}"] [data-message="notice"]`).count()).toBe(1);
    expect(await page.locator('#embargo li[data-step="distributor-notice"]').getAttribute('data-done')).toBe('yes');
    await notice.scrollIntoViewIfNeeded();
    await screenshot(page, 'distributors-notified');
    await visitor.goto(`${base}/p/${project.slug}/announcements`);
    expect(await visitor.content()).toContain('No announcement yet.');

    // 8. Public notice time: "fix forthcoming" on the announcements page, without the details,
    // and the subscriber's copy in the project's mail.
    ctx.clock.set(embargo.publicNoticeAt ?? '');
    await drain();
    await visitor.goto(`${base}/p/${project.slug}/announcements`);
    const forthcoming = visitor.locator('tr[data-announcement]', { hasText: 'Fix forthcoming' });
    await expect.poll(() => forthcoming.count()).toBe(1);
    const forthcomingSubject = plain(await forthcoming.locator('a').textContent());
    await go(visitor, forthcoming.locator('a'));
    const forthcomingText = await visitor.locator('article.public-announcement').textContent();
    expect(forthcomingText).not.toContain(SUMMARY);
    expect(forthcomingText).not.toContain('parse_header');
    await screenshot(visitor, 'fix-forthcoming');
    await page.goto(`${base}/p/${project.slug}/mail`);
    const copy = page.locator('article.mail-item', { hasText: `To ${SUBSCRIBER}` });
    await expect.poll(() => copy.count()).toBe(1);
    // The list's copy carries its tag in the subject, as list mail does.
    expect(plain(await copy.locator('h2').textContent())).toBe(`[security-announce] ${forthcomingSubject}`);
    await screenshot(page, 'mail-fix-forthcoming');

    // 9. Release time: the go publishes the advisory, announces the release, updates the feed.
    ctx.clock.set(embargo.releaseAt);
    await drain();
    await page.goto(caseUrl);
    expect(await state()).toBe('published');
    const published = page.locator('#advisory [data-advisory-public]');
    const publicId = (await published.getAttribute('data-advisory-public')) ?? '';
    expect(publicId).not.toBe('');
    expect(await page.locator('#embargo [data-embargo-state]').getAttribute('data-embargo-state')).toBe('lifted');
    await screenshot(page, 'case-published');
    await visitor.goto(`${base}/p/${project.slug}/advisories/${publicId}`);
    expect(await visitor.locator('h1').textContent()).toBe(SUMMARY);
    expect(await visitor.locator('[data-public-id]').textContent()).toBe(publicId);
    expect(await visitor.locator('article.public-advisory').textContent()).toContain('past its heap buffer');
    await screenshot(visitor, 'public-advisory');
    await visitor.goto(`${base}/p/${project.slug}/announcements`);
    const release = visitor.locator('tr[data-announcement]', { hasText: 'Security release' });
    await expect.poll(() => release.count()).toBe(1);
    const releaseSubject = plain(await release.locator('a').textContent());
    await screenshot(visitor, 'announcements-after-release');
    const feed = await visitor.request.get(`${base}/p/${project.slug}/announcements.atom`);
    expect(feed.status()).toBe(200);
    const atom = await feed.text();
    expect(atom).toContain(`<title type="text">${releaseSubject}</title>`);
    expect(atom).toContain('term="release"');
    expect(atom).toContain(publicId);
    expect(errors).toEqual([]);
  }, 120_000);

  it('proposes, revises and drafts the advisory with JavaScript off', async () => {
    const opened = await caseBeingFixed('Overflow handled without JavaScript');
    const page = await signedIn(lead, { javaScriptEnabled: false });
    const caseUrl = `${base}/p/${project.slug}/cases/${opened.number}`;
    await page.goto(caseUrl);
    const section = page.locator('#embargo');

    // Propose at a chosen time (the field is a datetime-local in UTC).
    const proposed = await section.locator('#embargo-propose-at').inputValue();
    const chosen = new Date(Date.parse(`${proposed}:00Z`) + 24 * 3_600_000).toISOString().slice(0, 16);
    await section.locator('#embargo-propose-at').fill(chosen);
    await go(page, section.getByRole('button', { name: 'Propose the embargo' }));
    expect(page.url()).toBe(`${caseUrl}#embargo`);
    expect(await section.locator('[data-embargo-state]').getAttribute('data-embargo-state')).toBe('proposed');
    expect(await section.locator('li[data-step="release"] time').getAttribute('datetime')).toBe(`${chosen}:00.000Z`);

    // Revise with a reason: the revision is listed with it.
    const later = new Date(Date.parse(`${chosen}:00Z`) + 24 * 3_600_000).toISOString().slice(0, 16);
    await section.locator('#embargo-revise-at').fill(later);
    await section.locator('#embargo-revise-reason').fill('Waiting for the 2.1 backport.');
    await go(page, section.getByRole('button', { name: 'Revise the release' }));
    const revision = section.locator('[data-revision]', { hasText: 'Waiting for the 2.1 backport.' });
    await expect.poll(() => revision.count()).toBe(1);
    expect(plain(await revision.textContent())).toContain(
      `release moved from ${formatUtc(new Date(`${chosen}:00Z`))} to ${formatUtc(new Date(`${later}:00Z`))}`,
    );
    await screenshot(page, 'js-off-revised');

    // Once the distributor notice time has passed, the maximum embargo counts from it: a release
    // past it is refused, saying why and what the latest is.
    const { distributorNoticeAt } = await embargoOf(opened.id);
    ctx.clock.set(new Date(Date.parse(distributorNoticeAt ?? '') + 60_000));
    await section
      .locator('#embargo-revise-at')
      .fill(new Date(Date.parse(`${later}:00Z`) + 40 * 24 * 3_600_000).toISOString().slice(0, 16));
    await section.locator('#embargo-revise-reason').fill('Much later.');
    await go(page, section.getByRole('button', { name: 'Revise the release' }));
    expect(await page.locator('h1').textContent()).toBe('The embargo was not changed');
    expect(await page.content()).toContain('EMBARGO_TOO_LONG');
    expect(plain(await page.locator('main').textContent())).toMatch(/at most \d+ days after the distributor notice/);
    await screenshot(page, 'js-off-too-long');
    await go(page, page.getByRole('link', { name: `Back to case #${opened.number}` }));
    expect((await embargoOf(opened.id)).releaseAt).toBe(`${later}:00.000Z`);

    // The advisory draft: write, save, read it back.
    await go(page, page.locator('#advisory').getByRole('link', { name: 'Write the advisory draft' }));
    await page.locator('#advisory-summary').fill('Overflow in the header parser (JS off)');
    await page.locator('#advisory-details').fill('Saved from a browser with *JavaScript off*.');
    await go(page, page.getByRole('button', { name: 'Save the draft' }));
    expect(await page.locator('.notice[role="status"]').textContent()).toContain('Saved.');
    expect(await page.locator('#advisory-summary').inputValue()).toBe('Overflow in the header parser (JS off)');
    expect(await page.locator('#advisory-details').inputValue()).toBe('Saved from a browser with *JavaScript off*.');
    await screenshot(page, 'js-off-advisory-saved');
    await page.goto(caseUrl);
    expect(await page.locator('#advisory [data-advisory-summary]').textContent()).toBe(
      'Overflow in the header parser (JS off)',
    );
  }, 60_000);

  it("shows each UTC time in the viewer's own time zone too (Tokyo)", async () => {
    const opened = await caseBeingFixed('Overflow seen from Tokyo');
    await ctx.deps.db.transaction().execute((trx) =>
      proposeEmbargo(trx, ctx.deps, {
        actor: actorOf(lead, project, 'admin'),
        origin: noOrigin,
        theCase: opened,
      }),
    );
    const steps = plannedSteps(await embargoOf(opened.id));
    const page = await signedIn(lead, { timezoneId: 'Asia/Tokyo' });
    for (const [url, row] of [
      [`${base}/p/${project.slug}/cases/${opened.number}`, '#embargo'],
      [`${base}/p/${project.slug}/embargoes`, `tr[data-case="${opened.number}"]`],
      [`${base}/embargoes`, `tr[data-case="${project.slug}#${opened.number}"]`],
    ] as const) {
      await page.goto(url);
      const times = page.locator(`${row} time[data-local-time]`);
      await expect.poll(() => page.locator(`${row} .local-time`).count()).toBe(await times.count());
      const shown = await times.evaluateAll((ts) =>
        ts.map((t) => ({
          at: t.getAttribute('datetime') ?? '',
          utc: t.textContent ?? '',
          local: t.nextElementSibling?.classList.contains('local-time') ? (t.nextElementSibling.textContent ?? '') : '',
        })),
      );
      // Every step of the timeline is there, each in UTC and in Tokyo time beside it.
      for (const [, at] of steps) expect(shown.map((s) => s.at)).toContain(at);
      for (const s of shown) {
        expect(s.utc).toBe(formatUtc(new Date(s.at)));
        expect(plain(s.local)).toBe(localTimeText(s.at, 'Asia/Tokyo'));
        // And by hand: Tokyo is UTC+9 all year, so the wall clock is nine hours on.
        const tokyo = new Date(Date.parse(s.at) + 9 * 3_600_000);
        const hour12 = tokyo.getUTCHours() % 12 || 12;
        const clock = `${String(hour12).padStart(2, '0')}:${String(tokyo.getUTCMinutes()).padStart(2, '0')}`;
        expect(plain(s.local)).toContain(clock);
        expect(plain(s.local)).toMatch(new RegExp(`\\b${tokyo.getUTCDate()}\\b`));
      }
      await screenshot(page, url.includes('/cases/') ? 'tokyo-case' : 'tokyo-calendar');
    }
  }, 60_000);
});
