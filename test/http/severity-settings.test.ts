import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noOrigin } from '../../src/domain/audit/audit.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { defaultSeverityPolicy } from '../../src/domain/severity/severity-policy.js';
import { getSeverityPolicy } from '../../src/domain/severity/severity-policy.service.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { Browser, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';

type Who = 'admin' | 'member' | 'outsider' | 'instanceAdmin' | 'anonymous';

/** What a browser would submit from the page: every named input and select, checkboxes only when checked. */
function formOf(html: string): Record<string, string> {
  const form: Record<string, string> = {};
  const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
  for (const [tag] of html.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(tag, 'name');
    if (!name || name === '_csrf') continue;
    if (attr(tag, 'type') === 'checkbox' && !/\schecked\b/.test(tag)) continue;
    form[name] = attr(tag, 'value') ?? '';
  }
  for (const [, open = '', options = ''] of html.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
    const name = attr(open, 'name');
    const selected = /<option\b([^>]*\sselected\b[^>]*)>/.exec(options)?.[1];
    if (name && selected) form[name] = attr(selected, 'value') ?? '';
  }
  return form;
}

const dueOf = (html: string, severity: string, cell: 'due' | 'reminder') =>
  new RegExp(`data-example-severity="${severity}"[\\s\\S]*?data-${cell}[^>]*>(?:<time datetime="([^"]+)")?`).exec(
    html,
  )?.[1] ?? 'never';

describe.each(engines())('severity settings page on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  const users = {} as Record<Exclude<Who, 'anonymous'>, User>;
  const browsers = new Map<Who, Browser>();

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    // Monday 2026-03-02 09:00 UTC.
    ctx.clock.set('2026-03-02T09:00:00.000Z');
    const { db } = ctx.t;
    project = await makeProject(db, ctx.clock, { name: 'Acme' });
    users.admin = await makeUser(db, ctx.clock, { project, role: 'admin', name: 'Ada Admin' });
    users.member = await makeUser(db, ctx.clock, { project, role: 'security' });
    users.outsider = await makeUser(db, ctx.clock);
    users.instanceAdmin = await makeUser(db, ctx.clock, { isInstanceAdmin: true });
    for (const who of ['admin', 'member', 'outsider', 'instanceAdmin', 'anonymous'] as const) {
      const browser = new Browser(ctx.app);
      if (who !== 'anonymous') await login(browser, users[who].email);
      browsers.set(who, browser);
    }
  });
  afterAll(() => ctx.close());

  const url = () => `/p/${project.slug}/settings/severity`;
  const as = (who: Who) => {
    const b = browsers.get(who);
    if (!b) throw new Error(`no browser for ${who}`);
    return b;
  };
  /** Loads the page as `who`, then submits its form with `changes` applied, as a browser would. */
  async function save(who: Who, changes: Record<string, string>, action = url()) {
    const page = await as('admin').get(url());
    const own = who === 'admin' ? page : await as(who).get('/projects');
    return as(who).post(action, { ...formOf(page.body), ...changes, _csrf: csrfFrom(own.body) });
  }
  const stored = () => getSeverityPolicy(ctx.t.db, project.id);
  const audits = () =>
    ctx.t.db
      .selectFrom('audit_log')
      .select(['action', 'actor_user_id'])
      .where('project_id', '=', project.id)
      .where('action', 'like', 'severity-policy.%')
      .execute();

  it('shows the defaults and what they mean for a case opened now', async () => {
    const res = await as('admin').get(url());
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('This project follows the default policy.');
    const form = formOf(res.body);
    expect(form).toMatchObject({
      dayMode: 'calendar',
      timeZone: 'UTC',
      'targets.critical.fixDays': '7',
      'targets.high.release': 'out-of-band',
      'targets.medium.remindDays': '30',
      'targets.low.remindDays': '',
      'gates.slowDownBelow': '4.0',
      'gates.semiPublicBelow': '7.0',
      'shutdowns.0.from': '',
      'shutdowns.2.to': '',
    });
    expect(form.noFridayDeadline).toBeUndefined();
    expect(form['shutdowns.3.from']).toBeUndefined();
    // Monday 09:00 + 7 days; reminders after 2, 7 and 30 days; none for low.
    expect(dueOf(res.body, 'critical', 'due')).toBe('2026-03-09T09:00:00.000Z');
    expect(dueOf(res.body, 'critical', 'reminder')).toBe('2026-03-04T09:00:00.000Z');
    expect(dueOf(res.body, 'high', 'reminder')).toBe('2026-03-09T09:00:00.000Z');
    expect(dueOf(res.body, 'low', 'reminder')).toBe('never');
    expect(res.body).toContain('Mon, 9 Mar 2026, 09:00 (UTC)');
    expect(res.body).not.toContain('<fieldset disabled');
  });

  it('shows members the policy read-only, hides it from outsiders and sends the anonymous to sign in', async () => {
    const member = await as('member').get(url());
    expect(member.statusCode).toBe(200);
    expect(member.body).toMatch(/<fieldset disabled/);
    expect(member.body).toContain('data-readonly');
    expect(member.body).not.toContain('Save severity policy');
    expect((await as('outsider').get(url())).statusCode).toBe(404);
    const anonymous = await as('anonymous').get(url());
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toMatch(/^\/login\?next=/);
    // Instance admins may change it, so they see it to change it.
    const instanceAdmin = await as('instanceAdmin').get(url());
    expect(instanceAdmin.statusCode).toBe(200);
    expect(instanceAdmin.body).toContain('Save severity policy');
  });

  it('saves a whole policy from the form and shows the example in the project’s time zone', async () => {
    const res = await save('admin', {
      dayMode: 'business',
      timeZone: 'Europe/Berlin',
      noFridayDeadline: '1',
      // The first row left empty: blank rows are ignored wherever they are.
      'shutdowns.1.from': '12-24',
      'shutdowns.1.to': '01-02',
      'targets.critical.fixDays': '5',
      'targets.critical.remindDays': '1',
      'targets.high.release': 'next-patch',
      'targets.medium.remindDays': '',
      'gates.slowDownBelow': '3.9',
      'gates.semiPublicBelow': '6.5',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${url()}?saved=1`);
    expect((await stored()).policy).toEqual({
      dayMode: 'business',
      timeZone: 'Europe/Berlin',
      noFridayDeadline: true,
      shutdowns: [{ from: '12-24', to: '01-02' }],
      targets: {
        critical: { fixDays: 5, release: 'out-of-band', remindDays: 1 },
        high: { fixDays: 30, release: 'next-patch', remindDays: 7 },
        medium: { fixDays: 90, release: 'next-patch', remindDays: null },
        low: { fixDays: 180, release: 'next-patch', remindDays: null },
      },
      gates: { slowDownBelow: 3.9, semiPublicBelow: 6.5 },
    });
    expect(await audits()).toContainEqual({ action: 'severity-policy.updated', actor_user_id: users.admin.id });

    const page = await as('admin').get(res.headers.location as string);
    expect(page.body).toContain('Saved.');
    expect(page.body).toContain('Last changed 2026-03-02 09:00 UTC by Ada Admin.');
    // Monday 10:00 in Berlin + 5 business days: Tue 3, Wed 4, Thu 5, Fri 6, Mon 9.
    expect(dueOf(page.body, 'critical', 'due')).toBe('2026-03-09T09:00:00.000Z');
    expect(page.body).toContain('Mon, 9 Mar 2026, 10:00 (Europe/Berlin)');
    // Next day (business) for the critical reminder; none for medium now.
    expect(dueOf(page.body, 'critical', 'reminder')).toBe('2026-03-03T09:00:00.000Z');
    expect(dueOf(page.body, 'medium', 'reminder')).toBe('never');
    // 30 business days from Monday 2 March: six full weeks, Monday 13 April, which is not a Friday.
    expect(dueOf(page.body, 'high', 'due')).toBe('2026-04-13T08:00:00.000Z');
    // The form shows what was saved, the shutdown moved to the first row, and empty rows after it.
    expect(formOf(page.body)).toMatchObject({
      noFridayDeadline: '1',
      'shutdowns.0.from': '12-24',
      'shutdowns.0.to': '01-02',
      'shutdowns.3.from': '',
      'gates.slowDownBelow': '3.9',
    });
  });

  it('stores and audits nothing when the form is saved as shown', async () => {
    const before = await audits();
    const res = await save('admin', {});
    expect(res.headers.location).toBe(`${url()}?unchanged=1`);
    expect(await audits()).toEqual(before);
  });

  it('re-renders a refused form with what was typed and the message beside the field', async () => {
    const before = await stored();
    const res = await save('admin', {
      timeZone: 'Asia/Tokyo',
      'targets.high.fixDays': 'thirty',
      'shutdowns.2.from': '07-01',
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('data-code="VALIDATION_FAILED"');
    expect(res.body).toMatch(
      /data-field-error="targets.high.fixDays"[^>]*>targets.high.fixDays must be a whole number/,
    );
    expect(res.body).toMatch(/id="targets.high.fixDays"[^>]*aria-invalid="true"/);
    expect(formOf(res.body)).toMatchObject({
      timeZone: 'Asia/Tokyo',
      'targets.high.fixDays': 'thirty',
      'shutdowns.2.from': '07-01',
    });
    expect(res.body).not.toContain('data-example');
    expect(await stored()).toEqual(before);
  });

  it('names the shutdown row at fault as the form numbers it, not as the policy does', async () => {
    const res = await save('admin', {
      'shutdowns.0.from': '',
      'shutdowns.0.to': '',
      'shutdowns.1.from': '08-01',
      'shutdowns.1.to': '08-15',
      'shutdowns.2.from': '12-24',
      'shutdowns.2.to': '13-02',
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('data-field-error="shutdowns.2.to"');
    expect(res.body).toContain('must be a date as MM-DD');
    const half = await save('admin', { 'shutdowns.1.from': '08-01', 'shutdowns.1.to': '' });
    expect(half.statusCode).toBe(400);
    expect(half.body).toContain('data-field-error="shutdowns.1.to"');
  });

  it('refuses a critical case given longer than a high one, and gates out of order', async () => {
    const slower = await save('admin', { 'targets.critical.fixDays': '40' });
    expect(slower.statusCode).toBe(400);
    expect(slower.body).toContain('data-field-error="targets.critical.fixDays"');
    expect(slower.body).toContain('A critical case cannot be given longer to fix than a high one.');
    const gates = await save('admin', { 'gates.slowDownBelow': '8', 'gates.semiPublicBelow': '7' });
    expect(gates.statusCode).toBe(400);
    expect(gates.body).toContain('data-field-error="gates.slowDownBelow"');
    const text = await save('admin', { 'gates.semiPublicBelow': 'seven' });
    expect(text.body).toContain('data-field-error="gates.semiPublicBelow"');
  });

  it('lets only those who manage the project change it', async () => {
    const before = await stored();
    const member = await save('member', { dayMode: 'calendar' });
    expect(member.statusCode).toBe(403);
    const outsider = await save('outsider', { dayMode: 'calendar' });
    expect(outsider.statusCode).toBe(403);
    expect(await stored()).toEqual(before);
    const instanceAdmin = await save('instanceAdmin', { 'targets.low.fixDays': '200' });
    expect(instanceAdmin.statusCode).toBe(303);
    expect((await stored()).policy.targets.low.fixDays).toBe(200);
  });

  it('goes back to the defaults, audited, for those who manage the project only', async () => {
    expect((await stored()).isDefault).toBe(false);
    const member = await as('member').post(`${url()}/reset`, { _csrf: csrfFrom((await as('member').get(url())).body) });
    expect(member.statusCode).toBe(403);
    expect((await stored()).isDefault).toBe(false);

    const page = await as('admin').get(url());
    expect(page.body).toContain('Use the default policy');
    const res = await as('admin').post(`${url()}/reset`, { _csrf: csrfFrom(page.body) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${url()}?reset=1`);
    expect(await stored()).toMatchObject({ isDefault: true, policy: defaultSeverityPolicy });
    expect((await audits()).map((a) => a.action)).toContain('severity-policy.reset');
    const after = await as('admin').get(res.headers.location as string);
    expect(after.body).toContain('This project follows the default policy again.');
    expect(after.body).not.toContain('Use the default policy');
  });
});

describe.each(engines())('severity policy JSON API on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  const tokens = {} as Record<'admin' | 'member' | 'outsider' | 'instanceAdmin', string>;
  let admin: User;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    ctx.clock.set('2026-03-02T09:00:00.000Z');
    const { db } = ctx.t;
    project = await makeProject(db, ctx.clock);
    admin = await makeUser(db, ctx.clock, { project, role: 'admin' });
    const users = {
      admin,
      member: await makeUser(db, ctx.clock, { project, role: 'security' }),
      outsider: await makeUser(db, ctx.clock),
      instanceAdmin: await makeUser(db, ctx.clock, { isInstanceAdmin: true }),
    };
    for (const [who, user] of Object.entries(users) as [keyof typeof tokens, User][]) {
      const created = await ctx.t.db.transaction().execute((trx) =>
        createApiToken(trx, ctx.deps, {
          actor: actorOfUser(user),
          origin: noOrigin,
          name: 'severity test',
          expiresInDays: 30,
        }),
      );
      tokens[who] = created.token;
    }
  });
  afterAll(() => ctx.close());

  const url = () => `/api/v1/projects/${project.slug}/severity-policy`;
  const auth = (who?: keyof typeof tokens) => (who ? { authorization: `Bearer ${tokens[who]}` } : {});
  const get = (who?: keyof typeof tokens, headers: Record<string, string> = {}) =>
    ctx.app.inject({ method: 'GET', url: url(), headers: { ...auth(who), ...headers } });
  const put = (who: keyof typeof tokens | undefined, body: unknown, contentType = 'application/json') =>
    ctx.app.inject({
      method: 'PUT',
      url: url(),
      headers: { ...auth(who), 'content-type': contentType },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const refusal = (res: LightMyRequestResponse) => {
    const body = res.json() as { error: { code: string; details?: { field?: string } } };
    return { status: res.statusCode, code: body.error.code, field: body.error.details?.field };
  };
  const custom = () => ({
    ...structuredClone(defaultSeverityPolicy),
    dayMode: 'business',
    timeZone: 'america/new_york',
    shutdowns: [{ from: '12-24', to: '01-02' }],
    gates: { slowDownBelow: 3.5, semiPublicBelow: 6.5 },
  });
  const stored = () => getSeverityPolicy(ctx.t.db, project.id);

  it('gives members the policy in effect, and refuses everyone else', async () => {
    const res = await get('member');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ policy: defaultSeverityPolicy, isDefault: true, updatedAt: null });
    expect((await get('instanceAdmin')).statusCode).toBe(200);
    expect((await get('outsider')).statusCode).toBe(404);
    expect(refusal(await get())).toMatchObject({ status: 401, code: 'AUTH_REQUIRED' });
    expect(refusal(await get(undefined, { authorization: 'Bearer emb_not-a-token' }))).toMatchObject({
      status: 401,
      code: 'API_TOKEN_INVALID',
    });
  });

  it('never reads the session cookie', async () => {
    const browser = new Browser(ctx.app);
    await login(browser, admin.email);
    const res = await get(undefined, {
      cookie: Object.entries(browser.jar)
        .map(([k, v]) => `${k}=${v}`)
        .join('; '),
    });
    expect(res.statusCode).toBe(401);
  });

  it('replaces the whole policy for those who manage the project, audited', async () => {
    expect(refusal(await put('member', custom()))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(refusal(await put('outsider', custom()))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(refusal(await put(undefined, custom()))).toMatchObject({ status: 401, code: 'AUTH_REQUIRED' });
    expect((await stored()).isDefault).toBe(true);

    ctx.clock.set('2026-03-05T12:00:00.000Z');
    const res = await put('admin', custom());
    expect(res.statusCode).toBe(200);
    const expected = { ...custom(), timeZone: 'America/New_York' };
    expect(res.json()).toEqual({ policy: expected, isDefault: false, updatedAt: '2026-03-05T12:00:00.000Z' });
    expect((await get('member')).json()).toEqual(res.json());
    expect((await stored()).updatedBy).toBe(admin.id);
    const audit = await ctx.t.db
      .selectFrom('audit_log')
      .select(['actor_user_id', 'detail'])
      .where('project_id', '=', project.id)
      .where('action', '=', 'severity-policy.updated')
      .executeTakeFirstOrThrow();
    expect(audit.actor_user_id).toBe(admin.id);
    expect(JSON.parse(audit.detail ?? '{}')).toMatchObject({ previous: defaultSeverityPolicy, policy: expected });
    expect((await put('instanceAdmin', { ...expected, noFridayDeadline: true })).statusCode).toBe(200);
  });

  it('refuses a bad policy with 400 VALIDATION_FAILED naming the field, and stores nothing', async () => {
    const before = await stored();
    const withTarget = (severity: string, change: object) => {
      const p = custom() as unknown as { targets: Record<string, object> };
      p.targets[severity] = { ...p.targets[severity], ...change };
      return p;
    };
    const cases: [unknown, string | undefined][] = [
      // Caught by the schema.
      [withTarget('high', { fixDays: 0 }), 'targets/high/fixDays'],
      [withTarget('low', { release: 'someday' }), 'targets/low/release'],
      [{ ...custom(), gates: undefined }, 'gates'],
      [{ ...custom(), shutdowns: [{ from: '1224', to: '01-02' }] }, 'shutdowns/0/from'],
      // Caught by the policy's own rules.
      [withTarget('critical', { fixDays: 31 }), 'targets/critical/fixDays'],
      [{ ...custom(), timeZone: 'Atlantis/Capital' }, 'timeZone'],
      [{ ...custom(), shutdowns: [{ from: '12-24', to: '13-02' }] }, 'shutdowns/0/to'],
      [{ ...custom(), gates: { slowDownBelow: 7.5, semiPublicBelow: 7 } }, 'gates/slowDownBelow'],
    ];
    for (const [body, field] of cases) {
      const res = await put('admin', body);
      expect(refusal(res), JSON.stringify(body)).toEqual({ status: 400, code: 'VALIDATION_FAILED', field });
    }
    expect(refusal(await put('admin', 'dayMode=calendar', 'application/x-www-form-urlencoded'))).toMatchObject({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
    expect(await stored()).toEqual(before);
  });

  it('is described in the OpenAPI document, with the bearer token scheme', async () => {
    const doc = (await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const path = doc.paths['/api/v1/projects/{slug}/severity-policy'];
    expect(path.get.tags).toEqual(['severity']);
    expect(path.put.tags).toEqual(['severity']);
    expect(path.put.security).toEqual([{ apiToken: [] }]);
    expect(Object.keys(path.put.requestBody.content['application/json'].schema.properties).sort()).toEqual(
      ['dayMode', 'gates', 'noFridayDeadline', 'shutdowns', 'targets', 'timeZone'].sort(),
    );
  });
});
