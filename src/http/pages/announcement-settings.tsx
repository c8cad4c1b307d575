import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Fragment } from 'preact';
import type { Deps } from '../../deps.js';
import { ANNOUNCEMENT_KINDS, type AnnouncementKind, KIND_WORDS } from '../../domain/announcements/announcements.js';
import {
  type AnnouncementTemplate,
  fillTemplate,
  TEMPLATE_VARIABLES,
  VARIABLE_WORDS,
} from '../../domain/announcements/templates.js';
import { getTemplate, resetTemplate, saveTemplate } from '../../domain/announcements/templates.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { DomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { Markdown } from '../views/markdown.js';
import { ErrorNotice, field, formFailure, invalidIf } from './forms.js';
import { SettingsNav } from './project-settings-views.js';
import { requireSignIn } from './require-user.js';

// The wording of a project's announcements, one template per kind (project.announcements.manage:
// its admins). Each kind may use only its own variables (checkTemplate): the fix-forthcoming notice
// goes out under embargo, so it can name neither the summary nor the details.

type Params = { slug: string; kind?: string };
type Stored = AnnouncementTemplate & { custom: boolean };

const KIND_HINTS: Record<AnnouncementKind, string> = {
  fix_forthcoming:
    'Published while the embargo holds, some days before the release: the date, the severity and the affected components, never any detail.',
  update: 'Published when the release time moves, or the embargo breaks, after a fix-forthcoming notice went out.',
  release: 'Published at the go: the whole advisory, so that users can act on it.',
};

// In the order a case sends them.
const IN_ORDER: readonly AnnouncementKind[] = ['fix_forthcoming', 'update', 'release'];

/** Made-up values for the previews: nothing of a real case is shown on this page. */
function sampleValues(project: Project, publicUrl: string): Record<string, string> {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    project: project.name,
    releaseAt: '2026-03-12 16:00 UTC',
    severity: 'high (CVSS 3.1 8.1)',
    components: '- npm widget-parser, branches 1.x and 2.x',
    advisoriesUrl: `${base}/p/${project.slug}/advisories`,
    listsUrl: `${base}/p/${project.slug}/lists`,
    previousReleaseAt: '2026-03-10 16:00 UTC',
    change: 'The release moves by two days to include a fix for a second branch.',
    publicId: `${project.slug.toUpperCase()}-2026-0001`,
    advisoryUrl: `${base}/p/${project.slug}/advisories/${project.slug.toUpperCase()}-2026-0001`,
    summary: 'Example: heap overflow in the widget parser',
    details: 'Example: a crafted document overflows a heap buffer in `parse()`.',
    affected: 'Example: every server that parses untrusted documents.',
    affectedVersions: '- widget-parser 1.0.0 up to 1.4.2 (fixed)\n- widget-parser 2.0.0 up to 2.4.2 (fixed)',
    howToCheck: 'Example: run `widget --version`.',
    fixedVersions: '- 1.x: 1.4.2\n- 2.x: 2.4.2',
    upgrade: 'Example: install the fixed release of your branch.',
    mitigations: 'Example: reject documents larger than 1 MB at the proxy.',
    detection: 'Example: look for crashes of the parser in the logs.',
    credits: '- Ada Example (finder)',
  };
}

function KindSection(props: {
  csrf: string;
  project: Project;
  kind: AnnouncementKind;
  stored: Stored;
  typed?: AnnouncementTemplate;
  error?: DomainError;
  saved: boolean;
  samples: Record<string, string>;
}) {
  const { csrf, project, kind, stored, typed, error } = props;
  const shown = typed ?? stored;
  const action = `/p/${project.slug}/settings/announcements/${kind}`;
  const id = (name: string) => `${kind}-${name}`;
  const preview = error ? null : fillTemplate(stored, props.samples);
  return (
    <section id={`kind-${kind}`} data-kind={kind}>
      <h2>{KIND_WORDS[kind]}</h2>
      <p class="muted">{KIND_HINTS[kind]}</p>
      <p data-origin={stored.custom ? 'custom' : 'built-in'}>
        {stored.custom ? <strong>The project's own text.</strong> : 'The built-in text.'}
      </p>
      {props.saved ? (
        <p class="notice" role="status">
          Saved.
        </p>
      ) : null}
      <ErrorNotice error={error} />
      <form method="post" action={action}>
        <CsrfField token={csrf} />
        <label for={id('subject')}>Subject</label>
        <input
          id={id('subject')}
          type="text"
          name="subject"
          required
          maxlength={300}
          value={shown.subject}
          aria-invalid={invalidIf(error, 'subject')}
        />
        <label for={id('body')}>
          Text <span class="hint">Markdown with {'{{variable}}'} placeholders (below).</span>
        </label>
        <textarea id={id('body')} name="body" rows={16} required aria-invalid={invalidIf(error, 'body')}>
          {shown.body}
        </textarea>
        <button type="submit">Save the {KIND_WORDS[kind].toLowerCase()} text</button>
      </form>
      <details open>
        <summary>Variables this announcement may use</summary>
        <p class="muted">
          <code>{'{{name}}'}</code> puts in a value; <code>{'{{#name}}...{{/name}}'}</code> shows its inside only when
          the value is there, <code>{'{{^name}}...{{/name}}'}</code> only when it is not.
          {kind === 'release'
            ? null
            : ' Any other variable is refused: this text goes out before the release, so it cannot name the summary or the details.'}
        </p>
        <dl class="facts" data-variables={kind}>
          {TEMPLATE_VARIABLES[kind].map((v) => (
            <Fragment key={v}>
              <dt>
                <code>{`{{${v}}}`}</code>
              </dt>
              <dd>{VARIABLE_WORDS[v] ?? ''}</dd>
            </Fragment>
          ))}
        </dl>
      </details>
      {preview ? (
        <details open data-preview={kind}>
          <summary>Preview with made-up values</summary>
          <p>
            <strong>Subject:</strong> <span data-preview-subject>{preview.subject}</span>
          </p>
          <Markdown source={preview.body} />
        </details>
      ) : null}
      {stored.custom ? (
        <form method="post" action={`${action}/reset`}>
          <CsrfField token={csrf} />
          <button type="submit" class="secondary">
            Use the built-in text
          </button>
        </form>
      ) : null}
    </section>
  );
}

function AnnouncementSettingsPage(props: {
  csrf: string;
  project: Project;
  stored: Record<AnnouncementKind, Stored>;
  samples: Record<string, string>;
  refused?: { kind: AnnouncementKind; typed: AnnouncementTemplate; error: DomainError };
  saved?: AnnouncementKind;
  reset?: AnnouncementKind;
}) {
  const { project, refused } = props;
  return (
    <section>
      <SettingsNav project={project} />
      <h1>{project.name}: announcements</h1>
      <p>
        The wording of what the project publishes about a case, on its public pages and to its mailing lists. Each
        announcement is filled in from the case when it goes out; the previews below use made-up values.
      </p>
      {props.reset ? (
        <p class="notice" role="status">
          The {KIND_WORDS[props.reset].toLowerCase()} announcement uses the built-in text again.
        </p>
      ) : null}
      {IN_ORDER.map((kind) => (
        <KindSection
          key={kind}
          csrf={props.csrf}
          project={project}
          kind={kind}
          stored={props.stored[kind]}
          typed={refused?.kind === kind ? refused.typed : undefined}
          error={refused?.kind === kind ? refused.error : undefined}
          saved={props.saved === kind}
          samples={props.samples}
        />
      ))}
    </section>
  );
}

const kindOf = (text: string | undefined): AnnouncementKind | undefined => ANNOUNCEMENT_KINDS.find((k) => k === text);

/** The routes of /p/:slug/settings/announcements. */
export function announcementSettingsPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('preHandler', requireSignIn);
    const by = (request: FastifyRequest) => ({ actor: request.actor, origin: request.origin });
    const base = (project: Project) => `/p/${project.slug}/settings/announcements`;

    const managed = async (request: FastifyRequest<{ Params: Params }>) => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'project.announcements.manage', { projectId: project.id });
      const kind = request.params.kind === undefined ? undefined : kindOf(request.params.kind);
      if (request.params.kind !== undefined && !kind) throw new DomainError('NOT_FOUND', 'No such announcement kind.');
      return { project, kind };
    };

    const page = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      extra: {
        refused?: { kind: AnnouncementKind; typed: AnnouncementTemplate; error: DomainError };
        saved?: AnnouncementKind;
        reset?: AnnouncementKind;
        status?: number;
      } = {},
    ) => {
      const entries = await Promise.all(
        ANNOUNCEMENT_KINDS.map(async (k) => [k, await getTemplate(deps.db, project.id, k)] as const),
      );
      return reply.page(
        <AnnouncementSettingsPage
          csrf={request.csrfToken()}
          project={project}
          stored={Object.fromEntries(entries) as Record<AnnouncementKind, Stored>}
          samples={sampleValues(project, deps.config.publicUrl.href)}
          refused={extra.refused}
          saved={extra.saved}
          reset={extra.reset}
        />,
        { title: `${project.name}: announcements`, ...(extra.status ? { status: extra.status } : {}) },
      );
    };

    app.get<{ Params: Params }>('/p/:slug/settings/announcements', async (request, reply) => {
      const { project } = await managed(request);
      return page(request, reply, project, {
        saved: kindOf(field(request.query, 'saved')),
        reset: kindOf(field(request.query, 'reset')),
      });
    });

    app.post<{ Params: Params }>('/p/:slug/settings/announcements/:kind', async (request, reply) => {
      const { project, kind } = await managed(request);
      if (!kind) throw new DomainError('NOT_FOUND');
      const typed = { subject: field(request.body, 'subject'), body: field(request.body, 'body') };
      try {
        await deps.db
          .transaction()
          .execute((trx) => saveTemplate(trx, deps, { by: by(request), projectId: project.id, kind, template: typed }));
        return reply.redirect(`${base(project)}?saved=${kind}#kind-${kind}`, 303);
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return page(request, reply, project, { refused: { kind, typed, error }, status });
      }
    });

    app.post<{ Params: Params }>('/p/:slug/settings/announcements/:kind/reset', async (request, reply) => {
      const { project, kind } = await managed(request);
      if (!kind) throw new DomainError('NOT_FOUND');
      await deps.db
        .transaction()
        .execute((trx) => resetTemplate(trx, deps, { by: by(request), projectId: project.id, kind }));
      return reply.redirect(`${base(project)}?reset=${kind}#kind-${kind}`, 303);
    });
  };
}
