import type { ParsedMail } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/clock.js';
import type { MailingList } from '../../src/domain/announcements/announcements.js';
import { publishAnnouncement } from '../../src/domain/announcements/announcements.service.js';
import { unsubscribeToken } from '../../src/domain/announcements/lists.service.js';
import type { Case } from '../../src/domain/cases/cases.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { testWorker } from '../mail/support.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { makeList } from '../support/disclosure.js';
import { Browser, cookieHeader, csrfFrom, makeProject } from '../support/factories.js';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp.js';

// The public side of the mailing lists, end to end over a real SMTP server: double opt-in through
// the form and the mailed link, announcements carrying RFC 8058 one-click unsubscribe headers, and
// an answer that never tells whether an address is subscribed.

describe.each(engines())('public mailing lists on %s', (engine) => {
  let smtp: SmtpCapture;
  let ctx: TestContext;
  let project: Project;
  let list: MailingList;
  let theCase: Case;
  let lists: string;
  let subscribe: string;

  beforeEach(async () => {
    smtp = await startSmtpCapture();
    ctx = await createTestContext(engine, { env: { EMBARGO_SMTP_URL: smtp.url } });
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Widget' });
    list = await makeList(ctx, project, { name: 'security-announce', subscribers: ['bob@users.example'] });
    theCase = await makeCase(ctx, project);
    lists = `/p/${project.slug}/lists`;
    subscribe = `${lists}/subscribe`;
  });
  afterEach(async () => {
    await ctx.close();
    await smtp.close();
  });

  /** Runs every due job until none is left. */
  async function drain(): Promise<void> {
    const worker = testWorker(ctx);
    while ((await worker.runDue()) > 0) {
      // a job may enqueue more
    }
  }

  const to = (address: string): ParsedMail[] => smtp.messages.filter((_m, i) => smtp.recipients[i]?.includes(address));

  const subscriptions = () =>
    ctx.deps.db
      .selectFrom('list_subscriptions')
      .select(['email', 'status', 'unsubscribed_at'])
      .where('project_id', '=', project.id)
      .orderBy('email')
      .execute();
  const statusOf = async (email: string) => (await subscriptions()).find((s) => s.email === email)?.status;

  let published = 0;
  async function announce(subject: string) {
    published++;
    await ctx.deps.db.transaction().execute((trx) =>
      publishAnnouncement(trx, ctx.deps, {
        projectId: project.id,
        caseId: theCase.id,
        kind: 'release',
        dedupeKey: `test-${published}`,
        subject,
        body: `**${subject}**: upgrade now.`,
      }),
    );
    await drain();
  }

  /** The path of the confirmation link in the latest confirmation mail to `address`. */
  function confirmLink(address: string): string {
    const text = to(address).at(-1)?.text ?? '';
    const url = /(http:\/\/localhost:8080\/p\/[^\s]+\/lists\/confirm\/[\w-]+)/.exec(text)?.[1];
    if (!url) throw new Error(`no confirmation link in the mail to ${address}`);
    return new URL(url).pathname;
  }

  /** A header of a received message as it was written (mailparser turns List-* into objects). */
  const rawHeader = (m: ParsedMail | undefined, name: string) =>
    m?.headerLines
      .find((h) => h.key === name.toLowerCase())
      ?.line.replace(/\r?\n[ \t]+/g, ' ')
      .replace(/^[^:]+:\s*/, '');

  /** A mail client's RFC 8058 POST: no cookie, no CSRF token, just the one-click body. */
  const oneClick = (path: string, contentType = 'application/x-www-form-urlencoded') =>
    ctx.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': contentType },
      payload: 'List-Unsubscribe=One-Click',
    });

  it('subscribes with double opt-in, unsubscribes in one click, and a pending address hears nothing', async () => {
    const browser = new Browser(ctx.app);
    const form = await browser.get(lists);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('security-announce');
    expect(form.body).toContain('Security announcements');
    expect(form.body).toContain(`value="${list.id}"`);
    // The form never lists who is subscribed.
    expect(form.body).not.toContain('bob@users.example');

    const answer = await browser.submit(lists, subscribe, { email: 'Alice@Users.example', list: list.id });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain('Check your mailbox');
    expect(answer.body).not.toContain('lice@');
    expect(await statusOf('alice@users.example')).toBe('pending');

    await drain();
    const confirmMail = to('alice@users.example');
    expect(confirmMail).toHaveLength(1);
    expect(confirmMail[0]?.subject).toContain('Confirm your subscription to security-announce');
    const link = confirmLink('alice@users.example');

    // A mail scanner follows the link (no cookie): it sees a button and changes nothing.
    for (let i = 0; i < 2; i++) {
      const scanned = await ctx.app.inject({ method: 'GET', url: link });
      expect(scanned.statusCode).toBe(200);
      expect(scanned.body).toContain('Confirm your subscription');
      expect(scanned.body).toContain('security-announce');
      expect(scanned.body).toMatch(/<button type="submit">Confirm<\/button>/);
      expect(scanned.body).not.toContain('alice@users.example');
    }
    expect(await statusOf('alice@users.example')).toBe('pending');

    // Before confirming, an announcement does not reach alice (bob, confirmed, gets it).
    await announce('Widget 1.0.1 released');
    expect(to('bob@users.example').map((m) => m.subject)).toEqual(['[security-announce] Widget 1.0.1 released']);
    expect(to('alice@users.example')).toHaveLength(1);

    // The POST without the page's token is refused; with it, it confirms, once.
    expect((await ctx.app.inject({ method: 'POST', url: link })).statusCode).toBe(403);
    expect(await statusOf('alice@users.example')).toBe('pending');
    const confirmed = await browser.submit(link, link, {});
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body).toContain('You are subscribed');
    expect(await statusOf('alice@users.example')).toBe('confirmed');
    const again = await browser.post(link, { _csrf: csrfFrom(form.body) });
    expect(again.statusCode).toBe(404);
    expect(again.body).toContain('subscribe again');
    expect((await browser.get(link)).statusCode).toBe(404);

    // The next announcement reaches her with her own one-click unsubscribe link.
    await announce('Widget 1.0.2 released');
    const copy = to('alice@users.example').at(-1);
    expect(copy?.subject).toBe('[security-announce] Widget 1.0.2 released');
    const header = rawHeader(copy, 'List-Unsubscribe') ?? '';
    const unsubscribeUrl = /^<(http:\/\/localhost:8080\/p\/[^>]+\/lists\/unsubscribe\/[^>]+)>$/.exec(header)?.[1];
    expect(unsubscribeUrl).toBeDefined();
    expect(rawHeader(copy, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(copy?.text).toContain(unsubscribeUrl);
    const bobHeader = rawHeader(to('bob@users.example').at(-1), 'List-Unsubscribe');
    expect(bobHeader).not.toBe(header);
    const unsubscribePath = new URL(unsubscribeUrl ?? '').pathname;

    // The page behind the link shows a button and changes nothing.
    const unsubscribePage = await ctx.app.inject({ method: 'GET', url: unsubscribePath });
    expect(unsubscribePage.statusCode).toBe(200);
    expect(unsubscribePage.body).toContain('Unsubscribe');
    expect(unsubscribePage.body).toContain(`action="${unsubscribePath}"`);
    expect(unsubscribePage.body).not.toContain('alice@users.example');
    expect(await statusOf('alice@users.example')).toBe('confirmed');

    // The mail client's one-click POST, with no cookie, unsubscribes; a second changes nothing.
    const first = await oneClick(unsubscribePath);
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Unsubscribed');
    const after = (await subscriptions()).find((s) => s.email === 'alice@users.example');
    expect(after?.status).toBe('unsubscribed');
    const second = await oneClick(unsubscribePath);
    expect(second.statusCode).toBe(200);
    expect((await subscriptions()).find((s) => s.email === 'alice@users.example')).toEqual(after);
    const audited = await ctx.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('project_id', '=', project.id)
      .where('action', '=', 'list.unsubscribed')
      .execute();
    expect(audited).toHaveLength(1);

    // The next announcement reaches bob but not alice.
    const alicesMail = to('alice@users.example').length;
    await announce('Widget 1.0.3 released');
    expect(to('bob@users.example').at(-1)?.subject).toBe('[security-announce] Widget 1.0.3 released');
    expect(to('alice@users.example')).toHaveLength(alicesMail);

    // The one-click POST may come as multipart/form-data too (RFC 8058 prefers it): bob leaves that way.
    const bobPath = new URL(/^<([^>]+)>$/.exec(bobHeader ?? '')?.[1] ?? '').pathname;
    const boundary = 'x-one-click';
    const multipart = await ctx.app.inject({
      method: 'POST',
      url: bobPath,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`,
    });
    expect(multipart.statusCode).toBe(200);
    expect(await statusOf('bob@users.example')).toBe('unsubscribed');
    // Only a small form is read: a large multipart body is refused before it is taken in.
    const big = await ctx.app.inject({
      method: 'POST',
      url: bobPath,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\n\r\n${'A'.repeat(64 * 1024)}\r\n--${boundary}--\r\n`,
    });
    expect(big.statusCode).toBe(413);
  });

  it('answers the same page whether the address is new, pending or already subscribed', async () => {
    const pages: string[] = [];
    for (const email of ['dan@users.example', 'bob@users.example', 'dan@users.example']) {
      const res = await new Browser(ctx.app).submit(lists, subscribe, { email, list: list.id });
      expect(res.statusCode).toBe(200);
      pages.push(res.body);
    }
    expect(pages[1]).toBe(pages[0]);
    expect(pages[2]).toBe(pages[0]);
    await drain();
    // Only the new address was mailed (twice: a pending one gets a fresh link); bob heard nothing.
    expect(to('dan@users.example')).toHaveLength(2);
    expect(to('bob@users.example')).toHaveLength(0);
    expect(await statusOf('bob@users.example')).toBe('confirmed');
    // The fresh link replaced the first one: of the two mailed, exactly one works.
    const links = to('dan@users.example').map((m) => {
      const url = /(http:\/\/localhost:8080\/p\/\S+\/lists\/confirm\/[\w-]+)/.exec(m.text ?? '')?.[1];
      return new URL(url ?? 'http://localhost:8080/none').pathname;
    });
    const answers = await Promise.all(links.map((url) => ctx.app.inject({ method: 'GET', url })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 404]);
  });

  it('subscribes to several lists at once, one confirmation each', async () => {
    const announce = await makeList(ctx, project, { name: 'announce', kinds: ['release'] });
    const browser = new Browser(ctx.app);
    const page = await browser.get(lists);
    expect(page.body).toContain('Carries: security release.');
    const res = await ctx.app.inject({
      method: 'POST',
      url: subscribe,
      headers: {
        cookie: cookieHeader(browser.jar),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams([
        ['_csrf', csrfFrom(page.body)],
        ['email', 'erin@users.example'],
        ['list', list.id],
        ['list', announce.id],
      ]).toString(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('announce, security-announce');
    await drain();
    expect(
      to('erin@users.example')
        .map((m) => m.subject)
        .sort(),
    ).toEqual([
      '[Widget] Confirm your subscription to announce',
      '[Widget] Confirm your subscription to security-announce',
    ]);
  });

  it('limits confirmation mails per address, and requests per client address', async () => {
    // Four requests for one address from four clients: the same answer, three mails in a day.
    for (let i = 1; i <= 4; i++) {
      const browser = new Browser(ctx.app);
      const page = await browser.get(lists);
      const res = await ctx.app.inject({
        method: 'POST',
        url: subscribe,
        remoteAddress: `192.0.2.${i}`,
        headers: {
          cookie: cookieHeader(browser.jar),
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: new URLSearchParams({
          _csrf: csrfFrom(page.body),
          email: 'victim@users.example',
          list: list.id,
        }).toString(),
      });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Check your mailbox');
    }
    await drain();
    expect(to('victim@users.example')).toHaveLength(3);

    // One client: ten requests an hour, then 429 with Retry-After, the form shown again.
    const browser = new Browser(ctx.app);
    for (let i = 0; i < 10; i++) {
      const res = await browser.submit(lists, subscribe, { email: `u${i}@users.example`, list: list.id });
      expect(res.statusCode).toBe(200);
    }
    const limited = await browser.submit(lists, subscribe, { email: 'late@users.example', list: list.id });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body).toContain('data-code="RATE_LIMITED"');
    expect(limited.body).toContain('value="late@users.example"');
    expect(await statusOf('late@users.example')).toBeUndefined();
    ctx.clock.advance(HOUR_MS + 1000);
    const later = await browser.submit(lists, subscribe, { email: 'late@users.example', list: list.id });
    expect(later.statusCode).toBe(200);
    expect(await statusOf('late@users.example')).toBe('pending');
  });

  it('refuses a bad address, no list or a foreign list, and stores nothing', async () => {
    const browser = new Browser(ctx.app);
    const bad = await browser.submit(lists, subscribe, { email: 'not an address', list: list.id });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('data-code="VALIDATION_FAILED"');
    expect(bad.body).toContain('value="not an address"');
    expect(bad.body).toContain('aria-invalid="true"');
    const none = await browser.submit(lists, subscribe, { email: 'frank@users.example' });
    expect(none.statusCode).toBe(400);
    const otherProject = await makeProject(ctx.deps.db, ctx.clock);
    const foreign = await makeList(ctx, otherProject, { name: 'foreign' });
    const wrong = await browser.submit(lists, subscribe, { email: 'frank@users.example', list: foreign.id });
    expect(wrong.statusCode).toBe(404);
    expect(wrong.body).toContain('<form');
    // No CSRF token: refused before anything.
    const forged = await ctx.app.inject({
      method: 'POST',
      url: subscribe,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email: 'frank@users.example', list: list.id }).toString(),
    });
    expect(forged.statusCode).toBe(403);

    expect((await subscriptions()).map((s) => s.email)).toEqual(['bob@users.example']);
    const mailed = await ctx.deps.db
      .selectFrom('outbound_emails')
      .select('to_address')
      .where('template', '=', 'list-confirm')
      .execute();
    expect(mailed).toHaveLength(0);
  });

  it('answers wrong links with a 404 page and an unknown project with 404', async () => {
    const noToken = await ctx.app.inject({ method: 'GET', url: `${lists}/confirm` });
    expect(noToken.statusCode).toBe(200);
    expect(noToken.body).toContain('confirmation link is in the message');

    const wrongConfirm = await ctx.app.inject({ method: 'GET', url: `${lists}/confirm/not-a-token` });
    expect(wrongConfirm.statusCode).toBe(404);
    expect(wrongConfirm.body).toContain('subscribe again');
    const browser = new Browser(ctx.app);
    const page = await browser.get(lists);
    const wrongPost = await browser.post(`${lists}/confirm/not-a-token`, { _csrf: csrfFrom(page.body) });
    expect(wrongPost.statusCode).toBe(404);

    const [bob] = await ctx.deps.db
      .selectFrom('list_subscriptions')
      .select('id')
      .where('email', '=', 'bob@users.example')
      .execute();
    for (const token of ['garbage', `${bob?.id}.forged-mac`, `${bob?.id}`]) {
      const url = `${lists}/unsubscribe/${encodeURIComponent(token)}`;
      expect((await ctx.app.inject({ method: 'GET', url })).statusCode).toBe(404);
      expect((await oneClick(url)).statusCode).toBe(404);
    }
    expect(await statusOf('bob@users.example')).toBe('confirmed');

    // A valid link of another project's list does not work under this project's slug.
    const other = await makeProject(ctx.deps.db, ctx.clock);
    const misplaced = `/p/${other.slug}/lists/unsubscribe/${unsubscribeToken(ctx.deps.secret, bob?.id ?? '')}`;
    expect((await oneClick(misplaced)).statusCode).toBe(404);
    expect(await statusOf('bob@users.example')).toBe('confirmed');

    expect((await ctx.app.inject({ method: 'GET', url: '/p/no-such-project/lists' })).statusCode).toBe(404);
  });
});
