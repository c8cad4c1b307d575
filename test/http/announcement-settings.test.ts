import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATES } from '../../src/domain/announcements/templates.js';
import type { Project } from '../../src/domain/projects/projects.js';
import type { User } from '../../src/domain/users/users.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { Browser, csrfFrom, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode } from '../support/intake.js';

// The announcement templates settings page, driven as a project admin would: each kind's wording,
// the variables it may use, a preview with made-up values, saving, refusals and going back.

/** The part of the page about one kind. */
const sectionOf = (html: string, kind: string) =>
  new RegExp(`<section id="kind-${kind}" data-kind="${kind}">([\\s\\S]*?)</section>`).exec(html)?.[1] ?? '';

describe.each(engines())('the announcement settings page on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let admin: User;
  let browsers: Record<'admin' | 'member' | 'outsider' | 'otherAdmin', Browser>;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    const { db } = ctx.deps;
    project = await makeProject(db, ctx.clock, { name: 'Widget', slug: `widget-${engine}` });
    const other = await makeProject(db, ctx.clock, { name: 'Other' });
    admin = await makeUser(db, ctx.clock, { project, role: 'admin' });
    const users = {
      admin,
      member: await makeUser(db, ctx.clock, { project, role: 'security' }),
      outsider: await makeUser(db, ctx.clock),
      otherAdmin: await makeUser(db, ctx.clock, { project: other, role: 'admin' }),
    };
    browsers = {} as typeof browsers;
    for (const [who, user] of Object.entries(users) as [keyof typeof users, User][]) {
      browsers[who] = new Browser(ctx.app);
      await login(browsers[who], user.email);
    }
  });
  afterAll(() => ctx.close());

  const url = () => `/p/${project.slug}/settings/announcements`;
  const stored = () =>
    ctx.deps.db
      .selectFrom('announcement_templates')
      .select(['kind', 'subject', 'body', 'updated_by'])
      .where('project_id', '=', project.id)
      .orderBy('kind')
      .execute();
  const audits = () =>
    ctx.deps.db
      .selectFrom('audit_log')
      .select(['action', 'actor_user_id', 'detail'])
      .where('project_id', '=', project.id)
      .where('action', 'like', 'announcement.%')
      .orderBy('at')
      .execute();

  it('shows each kind with its built-in text, its variables and a preview with made-up values', async () => {
    const res = await browsers.admin.get(url());
    expect(res.statusCode).toBe(200);
    for (const kind of ['fix_forthcoming', 'update', 'release']) {
      const section = sectionOf(res.body, kind);
      expect(section, kind).toContain('data-origin="built-in"');
      expect(section).toContain(`action="/p/${project.slug}/settings/announcements/${kind}"`);
      expect(section).toContain('<code>{{project}}</code>');
      expect(section).toContain("the project's name");
      expect(section).toContain(`data-preview="${kind}"`);
      expect(section).not.toContain('Use the built-in text');
    }
    const forthcoming = sectionOf(res.body, 'fix_forthcoming');
    // The notice sent under embargo offers no variable that could carry embargoed text.
    expect(forthcoming).not.toContain('{{summary}}');
    expect(forthcoming).not.toContain('{{details}}');
    expect(forthcoming).toContain('cannot name the summary or the details');
    expect(forthcoming).toContain(
      'data-preview-subject="true">Widget: security fix forthcoming on 2026-03-12 16:00 UTC<',
    );
    expect(forthcoming).toContain('high (CVSS 3.1 8.1)');
    expect(forthcoming).toContain('value="{{project}}: security fix forthcoming on {{releaseAt}}"');
    const release = sectionOf(res.body, 'release');
    expect(release).toContain('<code>{{summary}}</code>');
    expect(release).toContain("the advisory's summary");
    expect(release).toContain(`WIDGET-${engine.toUpperCase()}-2026-0001`);
    expect(release).toContain('<h1>Example: heap overflow in the widget parser</h1>');
  });

  it('saves a project’s own wording, previews it and goes back to the built-in text, audited', async () => {
    const saved = await browsers.admin.submit(url(), `${url()}/fix_forthcoming`, {
      subject: '{{project}}: a fix lands {{releaseAt}}',
      body: 'Plan to upgrade on **{{releaseAt}}** ({{severity}}).\n\n<script>alert(1)</script>',
    });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`${url()}?saved=fix_forthcoming#kind-fix_forthcoming`);
    expect(await stored()).toEqual([
      {
        kind: 'fix_forthcoming',
        subject: '{{project}}: a fix lands {{releaseAt}}',
        body: 'Plan to upgrade on **{{releaseAt}}** ({{severity}}).\n\n<script>alert(1)</script>',
        updated_by: admin.id,
      },
    ]);
    const page = await browsers.admin.get(saved.headers.location as string);
    const section = sectionOf(page.body, 'fix_forthcoming');
    expect(section).toContain('data-origin="custom"');
    expect(section).toContain('Saved.');
    expect(section).toContain('data-preview-subject="true">Widget: a fix lands 2026-03-12 16:00 UTC<');
    expect(section).toContain('Plan to upgrade on <strong>2026-03-12 16:00 UTC</strong> (high (CVSS 3.1 8.1)).');
    // The preview's Markdown escapes raw HTML.
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(section).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(section).toContain('Use the built-in text');
    expect(sectionOf(page.body, 'release')).toContain('data-origin="built-in"');

    ctx.clock.advance(60_000);
    const reset = await browsers.admin.submit(url(), `${url()}/fix_forthcoming/reset`, {});
    expect(reset.statusCode).toBe(303);
    expect(reset.headers.location).toBe(`${url()}?reset=fix_forthcoming#kind-fix_forthcoming`);
    expect(await stored()).toEqual([]);
    const back = await browsers.admin.get(reset.headers.location as string);
    expect(back.body).toContain('The fix forthcoming announcement uses the built-in text again.');
    expect(sectionOf(back.body, 'fix_forthcoming')).toContain('data-origin="built-in"');
    expect(sectionOf(back.body, 'fix_forthcoming')).toContain(`value="${DEFAULT_TEMPLATES.fix_forthcoming.subject}"`);

    expect((await audits()).map((a) => [a.action, a.actor_user_id, a.detail])).toEqual([
      ['announcement.template_saved', admin.id, JSON.stringify({ kind: 'fix_forthcoming' })],
      ['announcement.template_reset', admin.id, JSON.stringify({ kind: 'fix_forthcoming' })],
    ]);
  });

  it('refuses a variable the kind may not use, and other bad templates, with the error beside it and 400', async () => {
    const before = await stored();
    const auditsBefore = (await audits()).length;
    const refusals: [string, { subject: string; body: string }, string, RegExp][] = [
      [
        'fix_forthcoming',
        { subject: '{{project}}: fix on {{releaseAt}}', body: 'Coming: {{summary}}' },
        'body',
        /\{\{summary\}\} is not a variable of this announcement/,
      ],
      [
        'update',
        { subject: '{{project}}: {{details}}', body: 'Moved to {{releaseAt}}.' },
        'subject',
        /\{\{details\}\} is not a variable of this announcement/,
      ],
      ['release', { subject: '{{summary}}', body: '{{#credits}}Thanks {{credits}}' }, 'body', /is not closed/],
      ['release', { subject: '  ', body: 'Text' }, 'subject', /The subject is 1 to 300 characters/],
    ];
    for (const [kind, form, name, message] of refusals) {
      const res = await browsers.admin.submit(url(), `${url()}/${kind}`, form);
      expect(res.statusCode, `${kind} ${name}`).toBe(400);
      const section = sectionOf(res.body, kind);
      expect(section).toContain('data-code="VALIDATION_FAILED"');
      expect(section).toMatch(message);
      expect(section).toMatch(new RegExp(`id="${kind}-${name}"[^>]*aria-invalid="true"`));
      // What was typed comes back, and no preview is made of it.
      expect(section).toContain(form.body.replace(/</g, '&lt;'));
      expect(section).not.toContain(`data-preview="${kind}"`);
      // The other kinds are untouched.
      for (const otherKind of ['fix_forthcoming', 'update', 'release'].filter((k) => k !== kind)) {
        expect(sectionOf(res.body, otherKind)).not.toContain('data-code=');
      }
    }
    const unknown = await browsers.admin.submit(url(), `${url()}/advisory`, { subject: 'x', body: 'y' });
    expect(unknown.statusCode).toBe(404);
    expect(await stored()).toEqual(before);
    expect(await audits()).toHaveLength(auditsBefore);
  });

  it('refuses a security member, an outsider and another project’s admin (403), changing nothing', async () => {
    const auditsBefore = (await audits()).length;
    for (const who of ['member', 'outsider', 'otherAdmin'] as const) {
      const res = await browsers[who].get(url());
      expect(res.statusCode, who).toBe(403);
      expect(errorCode(res)).toBe('FORBIDDEN');
      const csrf = csrfFrom((await browsers[who].get('/projects')).body);
      for (const action of [`${url()}/release`, `${url()}/release/reset`]) {
        const posted = await browsers[who].post(action, { _csrf: csrf, subject: 'Theirs {{project}}', body: 'Theirs' });
        expect(posted.statusCode, `${who} ${action}`).toBe(403);
      }
    }
    const anonymous = await new Browser(ctx.app).get(url());
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toMatch(/^\/login\?next=/);
    expect(await stored()).toEqual([]);
    expect(await audits()).toHaveLength(auditsBefore);
  });
});
