import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import {
  getSecuritySettings,
  parseSecuritySettings,
  type SecuritySettings,
  updateSecuritySettings,
} from '../../domain/advisories/security-settings.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import type { DomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { when } from '../views/time.js';
import { ErrorNotice, field, formFailure, invalidIf } from './forms.js';
import { SettingsNav, type Values } from './project-settings-views.js';
import { requireSignIn } from './require-user.js';

// A project's security settings as a form that works without JavaScript (its admins): who
// publishes its advisories, where its CVE ids come from, its bounty, and how long its security.txt
// stays valid. Inputs carry the settings' own names, so a refusal's `details.field` names the input.

type Params = { slug: string };
const NAMES = ['publisherName', 'cveSource', 'cveRequestFrom', 'bountyText', 'bountyUrl', 'securityTxtDays'] as const;

const valuesOf = (s: SecuritySettings): Values => ({
  publisherName: s.publisherName ?? '',
  cveSource: s.cveSource,
  cveRequestFrom: s.cveRequestFrom ?? '',
  bountyText: s.bountyText ?? '',
  bountyUrl: s.bountyUrl ?? '',
  securityTxtDays: String(s.securityTxtDays),
});

function SecuritySettingsPage(props: {
  csrf: string;
  project: Project;
  values: Values;
  updatedAt: string | null;
  error?: DomainError;
  saved?: boolean;
}) {
  const { project, values, error } = props;
  const input = (name: string, label: string, hint: string, type = 'text') => (
    <>
      <label for={name}>
        {label} <span class="hint">{hint}</span>
      </label>
      <input id={name} name={name} type={type} value={values[name] ?? ''} aria-invalid={invalidIf(error, name)} />
    </>
  );
  return (
    <section>
      <SettingsNav project={project} />
      <h1>{project.name}: security settings</h1>
      <p class="muted">
        {props.updatedAt ? `Last changed ${when(props.updatedAt)}.` : 'This project uses the defaults.'}
      </p>
      {props.saved ? (
        <p class="notice" role="status">
          Saved.
        </p>
      ) : null}
      <ErrorNotice error={error} />
      <form method="post" action={`/p/${project.slug}/settings/security`}>
        <CsrfField token={props.csrf} />
        {input('publisherName', 'Publisher', '(named in CSAF and CVE records; empty: the project’s name)')}
        <fieldset aria-invalid={invalidIf(error, 'cveSource')}>
          <legend>CVE ids</legend>
          <label class="check">
            <input type="radio" name="cveSource" value="cna" checked={values.cveSource === 'cna'} /> The project is a
            CNA: it assigns ids from its own pool (<a href={`/p/${project.slug}/settings/cve-ids`}>CVE ids</a>).
          </label>
          <label class="check">
            <input type="radio" name="cveSource" value="request" checked={values.cveSource !== 'cna'} /> The project
            requests ids from a CNA and types them in.
          </label>
        </fieldset>
        {input('cveRequestFrom', 'Requested from', '(the CNA usually asked, e.g. GitHub; optional)')}
        <label for="bountyText">
          Bug bounty <span class="hint">(what it pays for, in SECURITY.md; empty: no bounty)</span>
        </label>
        <textarea id="bountyText" name="bountyText" rows={4} aria-invalid={invalidIf(error, 'bountyText')}>
          {values.bountyText ?? ''}
        </textarea>
        {input('bountyUrl', 'Bounty page', '(an https:// address; optional)', 'url')}
        {input(
          'securityTxtDays',
          'security.txt lifetime (days)',
          '(its Expires is this many days after it is served: 1 to 364)',
          'number',
        )}
        <button type="submit">Save security settings</button>
      </form>
    </section>
  );
}

/** GET and POST /p/:slug/settings/security (project.security-settings.manage). */
export function securitySettingsPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('preHandler', requireSignIn);
    const managed = async (request: FastifyRequest<{ Params: Params }>): Promise<Project> => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'project.security-settings.manage', { projectId: project.id });
      return project;
    };
    const page = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      extra: { values?: Values; error?: DomainError; saved?: boolean; status?: number } = {},
    ) => {
      const stored = await getSecuritySettings(deps.db, project.id);
      return reply.page(
        <SecuritySettingsPage
          csrf={request.csrfToken()}
          project={project}
          values={extra.values ?? valuesOf(stored)}
          updatedAt={stored.updatedAt}
          {...(extra.error ? { error: extra.error } : {})}
          {...(extra.saved ? { saved: true } : {})}
        />,
        { title: `${project.name}: security settings`, ...(extra.status ? { status: extra.status } : {}) },
      );
    };

    app.get<{ Params: Params }>('/p/:slug/settings/security', async (request, reply) => {
      const project = await managed(request);
      return page(request, reply, project, { saved: field(request.query, 'saved') === '1' });
    });

    app.post<{ Params: Params }>('/p/:slug/settings/security', async (request, reply) => {
      const project = await managed(request);
      const values: Values = Object.fromEntries(NAMES.map((n) => [n, field(request.body, n)]));
      try {
        const settings = parseSecuritySettings(values);
        await deps.db.transaction().execute((trx) =>
          updateSecuritySettings(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            projectId: project.id,
            settings,
          }),
        );
        return reply.redirect(`/p/${project.slug}/settings/security?saved=1`, 303);
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return page(request, reply, project, { values, error, status });
      }
    });
  };
}
