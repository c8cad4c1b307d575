import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { defaultEmbargoPolicy } from '../../src/domain/cases/embargo-policy.js';
import { getEmbargoPolicy, proposeEmbargo } from '../../src/domain/cases/embargo.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { move, SYSTEM } from '../support/disclosure.js';
import { Browser, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode } from '../support/intake.js';

type Who = 'admin' | 'member' | 'outsider' | 'instanceAdmin' | 'anonymous';

/** What a browser would submit from the page's policy form: every named input, checkboxes only when checked. */
function formOf(html: string): Record<string, string> {
  const form: Record<string, string> = {};
  const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
  const policyForm = /<form method="post" action="[^"]*\/settings\/embargo">([\s\S]*?)<\/form>/.exec(html)?.[1] ?? '';
  for (const [tag] of policyForm.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(tag, 'name');
    if (!name || name === '_csrf') continue;
    if (attr(tag, 'type') === 'checkbox' && !/\schecked\b/.test(tag)) continue;
    form[name] = attr(tag, 'value') ?? '';
  }
  return form;
}

const WEEKDAY_FIELDS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => `releaseWeekdays.${d}`);

describe.each(engines())('the embargo policy settings page on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  const users = {} as Record<Exclude<Who, 'anonymous'>, User>;
  const browsers = new Map<Who, Browser>();

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    // Monday 2026-03-02 09:00 UTC.
    ctx.clock.set('2026-03-02T09:00:00.000Z');
    const { db } = ctx.deps;
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

  const url = () => `/p/${project.slug}/settings/embargo`;
  const as = (who: Who) => {
    const b = browsers.get(who);
    if (!b) throw new Error(`no browser for ${who}`);
    return b;
  };
  /** The admin's page as a browser would submit it with `changes` applied (a checkbox: '' unticks it). */
  async function save(changes: Record<string, string>) {
    const page = await as('admin').get(url());
    const form = { ...formOf(page.body), ...changes };
    for (const [name, value] of Object.entries(changes))
      if (value === '' && WEEKDAY_FIELDS.includes(name)) delete form[name];
    return as('admin').post(url(), { ...form, _csrf: csrfFrom(page.body) });
  }
  const storedRow = () =>
    ctx.deps.db.selectFrom('embargo_policies').selectAll().where('project_id', '=', project.id).executeTakeFirst();
  const audits = () =>
    ctx.deps.db
      .selectFrom('audit_log')
      .select(['action', 'actor_user_id', 'detail'])
      .where('project_id', '=', project.id)
      .where('action', 'like', 'embargo.policy%')
      .orderBy('at')
      .orderBy('id')
      .execute();

  it('shows an admin the defaults, every field with its hint, and what they mean for an embargo planned now', async () => {
    const res = await as('admin').get(url());
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('This project follows the default policy.');
    expect(res.body).toContain('data-no-replan');
    expect(res.body).toContain('Embargoes already planned keep their dates');
    expect(formOf(res.body)).toEqual({
      maxDays: '14',
      distributorNoticeDays: '7',
      criticalNoticeDays: '3',
      publicNoticeDays: '3',
      prereleaseNoticeHours: '24',
      retrospectiveDays: '2',
      releaseHourUtc: '16',
      'releaseWeekdays.mon': '1',
      'releaseWeekdays.tue': '1',
      'releaseWeekdays.wed': '1',
      'releaseWeekdays.thu': '1',
    });
    for (const name of Object.keys(defaultEmbargoPolicy).filter((k) => k !== 'releaseWeekdays')) {
      expect(res.body).toMatch(new RegExp(`<span class="hint" id="${name}-hint">[^<]{20,}`));
    }
    // Monday 09:00 + 7 days: Monday 9 March at 16:00; a critical case: Thursday 5 March.
    expect(res.body).toMatch(/data-example-severity="high"[\s\S]*?data-release[^>]*><time datetime="2026-03-09T16:00/);
    expect(res.body).toMatch(
      /data-example-severity="critical"[\s\S]*?data-release[^>]*><time datetime="2026-03-05T16:00/,
    );
    expect(res.body).not.toContain('Use the default policy');
  });

  it('saves a policy from the form, audited with numbers only, and leaves embargoes already planned alone', async () => {
    const theCase = await makeCase(ctx, project);
    await move(ctx, theCase, 'start_fix');
    const planned = await ctx.deps.db
      .transaction()
      .execute((trx) => proposeEmbargo(trx, ctx.deps, { actor: SYSTEM, origin: noOrigin, theCase }));
    expect(planned.releaseAt).toBe('2026-03-09T16:00:00.000Z');

    const res = await save({
      maxDays: '21',
      distributorNoticeDays: '10',
      publicNoticeDays: '5',
      prereleaseNoticeHours: '48',
      releaseHourUtc: '14',
      'releaseWeekdays.mon': '',
      'releaseWeekdays.fri': '1',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${url()}?saved=1`);
    const expected = {
      maxDays: 21,
      distributorNoticeDays: 10,
      criticalNoticeDays: 3,
      publicNoticeDays: 5,
      prereleaseNoticeHours: 48,
      retrospectiveDays: 2,
      releaseHourUtc: 14,
      releaseWeekdays: ['tue', 'wed', 'thu', 'fri'],
    };
    const row = await storedRow();
    expect(JSON.parse(row?.policy ?? '{}')).toEqual(expected);
    expect(row?.updated_by).toBe(users.admin.id);
    expect(row?.updated_at).toBe('2026-03-02T09:00:00.000Z');
    expect(await getEmbargoPolicy(ctx.deps.db, project.id)).toEqual(expected);

    const [audit, ...more] = await audits();
    expect(more).toHaveLength(0);
    expect(audit?.action).toBe('embargo.policy_updated');
    expect(audit?.actor_user_id).toBe(users.admin.id);
    expect(JSON.parse(audit?.detail ?? '{}')).toEqual({
      previous: null,
      policy: { ...expected, releaseWeekdays: [2, 3, 4, 5] },
    });

    // The embargo planned before keeps its dates.
    const embargo = await ctx.deps.db
      .selectFrom('embargoes')
      .select(['release_at', 'distributor_notice_at', 'public_notice_at'])
      .where('case_id', '=', theCase.id)
      .executeTakeFirstOrThrow();
    expect(embargo).toEqual({
      release_at: '2026-03-09T16:00:00.000Z',
      distributor_notice_at: planned.distributorNoticeAt,
      public_notice_at: planned.publicNoticeAt,
    });

    const page = await as('admin').get(res.headers.location as string);
    expect(page.body).toContain('Saved: this policy is in effect for embargoes planned from now on.');
    expect(page.body).toContain('Last changed 2026-03-02 09:00 UTC by Ada Admin.');
    expect(formOf(page.body)).toMatchObject({ maxDays: '21', 'releaseWeekdays.fri': '1' });
    expect(formOf(page.body)['releaseWeekdays.mon']).toBeUndefined();
    // Monday 09:00 + 10 days is Thursday 12 March, 14:00 UTC.
    expect(page.body).toMatch(/data-example-severity="high"[\s\S]*?data-release[^>]*><time datetime="2026-03-12T14:00/);

    // Saving it again as shown stores and audits nothing new.
    expect((await save({})).statusCode).toBe(303);
    expect(await audits()).toHaveLength(1);
  });

  it('re-renders each refused value with what was typed, the error beside its field and 400, storing nothing', async () => {
    const before = await storedRow();
    const auditsBefore = (await audits()).length;
    const refusals: [Record<string, string>, string, RegExp][] = [
      [
        { distributorNoticeDays: '30' },
        'distributorNoticeDays',
        /The distributor notice must be a whole number from 1 to 21/,
      ],
      [{ maxDays: 'seven' }, 'maxDays', /The longest embargo must be a whole number from 1 to 90/],
      [{ criticalNoticeDays: '' }, 'criticalNoticeDays', /The notice for a critical case must be a whole number/],
      [{ publicNoticeDays: '11' }, 'publicNoticeDays', /The public notice must be a whole number from 0 to 10/],
      [{ prereleaseNoticeHours: '241' }, 'prereleaseNoticeHours', /from 1 to 240/],
      [{ releaseHourUtc: '24' }, 'releaseHourUtc', /The release hour must be a whole number from 0 to 23/],
      [
        Object.fromEntries(WEEKDAY_FIELDS.map((f) => [f, ''])),
        'releaseWeekdays',
        /Choose at least one release weekday/,
      ],
    ];
    for (const [changes, name, message] of refusals) {
      const res = await save({ ...changes, retrospectiveDays: '4' });
      expect(res.statusCode, name).toBe(400);
      expect(res.body).toContain('data-code="VALIDATION_FAILED"');
      expect(res.body).toMatch(new RegExp(`data-field-error="${name}"[^>]*>[^<]*`));
      expect(res.body).toMatch(message);
      if (name === 'releaseWeekdays') expect(res.body).toMatch(/<fieldset aria-invalid="true"/);
      else expect(res.body).toMatch(new RegExp(`<input[^>]*id="${name}"[^>]*aria-invalid="true"`));
      // What was typed comes back, including the field that was fine.
      const form = formOf(res.body);
      expect(form.retrospectiveDays).toBe('4');
      for (const [field, value] of Object.entries(changes)) {
        if (WEEKDAY_FIELDS.includes(field)) expect(form[field]).toBeUndefined();
        else expect(form[field]).toBe(value);
      }
      expect(res.body).not.toContain('data-example');
    }
    expect(await storedRow()).toEqual(before);
    expect(await audits()).toHaveLength(auditsBefore);
  });

  it('refuses a security member (403), a signed-in outsider (403: settings) and sends the anonymous to sign in', async () => {
    const before = await storedRow();
    for (const who of ['member', 'outsider', 'instanceAdmin'] as const) {
      const page = await as(who).get(url());
      expect(page.statusCode, who).toBe(403);
      expect(errorCode(page)).toBe('FORBIDDEN');
      expect(page.body).not.toContain('maxDays');
      const csrf = csrfFrom((await as(who).get('/projects')).body);
      const posted = await as(who).post(url(), { _csrf: csrf, maxDays: '30', distributorNoticeDays: '20' });
      expect(posted.statusCode, who).toBe(403);
      expect((await as(who).post(`${url()}/reset`, { _csrf: csrf })).statusCode, who).toBe(403);
    }
    const anonymous = await as('anonymous').get(url());
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toMatch(/^\/login\?next=/);
    expect((await as('admin').get('/p/no-such-project/settings/embargo')).statusCode).toBe(404);
    expect(await storedRow()).toEqual(before);
    expect((await audits()).map((a) => a.actor_user_id)).toEqual([users.admin.id]);
  });

  it('goes back to the defaults, audited', async () => {
    ctx.clock.advance(60_000);
    const page = await as('admin').get(url());
    expect(page.body).toContain('Use the default policy');
    const res = await as('admin').post(`${url()}/reset`, { _csrf: csrfFrom(page.body) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${url()}?reset=1`);
    expect(await storedRow()).toBeUndefined();
    expect(await getEmbargoPolicy(ctx.deps.db, project.id)).toEqual(defaultEmbargoPolicy);
    const reset = (await audits()).at(-1);
    expect(reset?.action).toBe('embargo.policy_reset');
    expect(JSON.parse(reset?.detail ?? '{}')).toMatchObject({
      previous: { maxDays: 21, releaseWeekdays: [2, 3, 4, 5] },
      policy: { maxDays: 14, releaseWeekdays: [1, 2, 3, 4] },
    });
    const after = await as('admin').get(res.headers.location as string);
    expect(after.body).toContain('This project follows the default policy again.');
    expect(after.body).not.toContain('Use the default policy');
    // Nothing to reset: nothing audited.
    await as('admin').post(`${url()}/reset`, { _csrf: csrfFrom(after.body) });
    expect((await audits()).filter((a) => a.action === 'embargo.policy_reset')).toHaveLength(1);
  });
});

describe.each(engines())('the embargo policy JSON API on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  const tokens = {} as Record<'admin' | 'member' | 'outsider' | 'instanceAdmin', string>;
  let admin: User;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    ctx.clock.set('2026-03-02T09:00:00.000Z');
    const { db } = ctx.deps;
    project = await makeProject(db, ctx.clock);
    admin = await makeUser(db, ctx.clock, { project, role: 'admin' });
    const users = {
      admin,
      member: await makeUser(db, ctx.clock, { project, role: 'security' }),
      outsider: await makeUser(db, ctx.clock),
      instanceAdmin: await makeUser(db, ctx.clock, { isInstanceAdmin: true }),
    };
    for (const [who, user] of Object.entries(users) as [keyof typeof tokens, User][]) {
      const created = await db.transaction().execute((trx) =>
        createApiToken(trx, ctx.deps, {
          actor: actorOfUser(user),
          origin: noOrigin,
          name: 'test',
          expiresInDays: 30,
        }),
      );
      tokens[who] = created.token;
    }
  });
  afterAll(() => ctx.close());

  const url = () => `/api/v1/projects/${project.slug}/embargo-policy`;
  const auth = (who?: keyof typeof tokens) => (who ? { authorization: `Bearer ${tokens[who]}` } : {});
  const get = (who?: keyof typeof tokens) => ctx.app.inject({ method: 'GET', url: url(), headers: auth(who) });
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
  const custom = () => ({ ...structuredClone(defaultEmbargoPolicy), maxDays: 10, releaseWeekdays: ['tue', 'wed'] });
  const rowCount = async () =>
    (
      await ctx.deps.db
        .selectFrom('embargo_policies')
        .select('project_id')
        .where('project_id', '=', project.id)
        .execute()
    ).length;

  it('gives members and admins the policy in effect, and tells outsiders nothing', async () => {
    for (const who of ['member', 'admin'] as const) {
      const res = await get(who);
      expect(res.statusCode, who).toBe(200);
      expect(res.json()).toEqual({ policy: defaultEmbargoPolicy, isDefault: true, updatedAt: null });
    }
    expect(refusal(await get('outsider'))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(refusal(await get('instanceAdmin'))).toMatchObject({ status: 404 });
    expect(refusal(await get())).toMatchObject({ status: 401, code: 'AUTH_REQUIRED' });
  });

  it('replaces the policy for the project’s admins only, audited', async () => {
    expect(refusal(await put('member', custom()))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(refusal(await put('instanceAdmin', custom()))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(refusal(await put(undefined, custom()))).toMatchObject({ status: 401, code: 'AUTH_REQUIRED' });
    expect(await rowCount()).toBe(0);

    ctx.clock.set('2026-03-05T12:00:00.000Z');
    const res = await put('admin', { ...custom(), releaseWeekdays: ['wed', 'tue'] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ policy: custom(), isDefault: false, updatedAt: '2026-03-05T12:00:00.000Z' });
    expect((await get('member')).json()).toEqual(res.json());
    expect(await getEmbargoPolicy(ctx.deps.db, project.id)).toEqual(custom());
    const audit = await ctx.deps.db
      .selectFrom('audit_log')
      .select(['actor_user_id', 'detail'])
      .where('project_id', '=', project.id)
      .where('action', '=', 'embargo.policy_updated')
      .executeTakeFirstOrThrow();
    expect(audit.actor_user_id).toBe(admin.id);
    expect(JSON.parse(audit.detail ?? '{}')).toMatchObject({ previous: null, policy: { maxDays: 10 } });
  });

  it('refuses a bad policy with 400 naming the field, and stores nothing', async () => {
    const before = (await get('admin')).json();
    const cases: [unknown, string][] = [
      // Caught by the schema.
      [{ ...custom(), maxDays: 0 }, 'maxDays'],
      [{ ...custom(), releaseHourUtc: 16.5 }, 'releaseHourUtc'],
      [{ ...custom(), releaseWeekdays: ['someday'] }, 'releaseWeekdays/0'],
      [{ ...custom(), releaseWeekdays: [] }, 'releaseWeekdays'],
      // Caught by the policy's own rules.
      [{ ...custom(), distributorNoticeDays: 11 }, 'distributorNoticeDays'],
      [{ ...custom(), publicNoticeDays: 8 }, 'publicNoticeDays'],
      [{ ...custom(), prereleaseNoticeHours: 24 * 7 + 1 }, 'prereleaseNoticeHours'],
    ];
    for (const [body, field] of cases) {
      const res = await put('admin', body);
      expect(refusal(res), JSON.stringify(body)).toEqual({ status: 400, code: 'VALIDATION_FAILED', field });
    }
    const extra = await put('admin', { ...custom(), unknownField: 1 });
    expect(extra.statusCode).toBe(400);
    expect(refusal(await put('admin', 'maxDays=3', 'application/x-www-form-urlencoded'))).toMatchObject({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
    expect((await get('admin')).json()).toEqual(before);
  });
});
