import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { importFormat } from '../../domain/advisories/advisory-import.service.js';
import { caseSubject } from '../../domain/cases/collaborators.service.js';
import { getCaseForTeam } from '../../domain/cases/cases.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { caseHistory } from '../../domain/severity/case-severity.service.js';
import { DomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { openImported, readImported } from '../api/case-import.api.js';
import { CsrfField } from '../views/layout.js';
import { ErrorNotice, formFailure, invalidIf } from './forms.js';
import { acceptMultipart, readSubmittedForm } from './multipart-form.js';
import { requireSignIn } from './require-user.js';

// Opening a case from an upstream advisory: a form that takes an OSV or CVE JSON 5 record, pasted
// or uploaded (multipart, so it works without JavaScript), and the result page of the new case
// with what could not be carried over. The same readers and service as the import API.

type SlugParams = { slug: string };
type CaseParams = { slug: string; number: string };

const FORMATS = [
  { value: 'osv', label: 'OSV', hint: 'GitHub advisories (GHSA), the Go, PyPI, RustSec … databases, osv.dev.' },
  { value: 'cve5', label: 'CVE JSON 5', hint: 'A record of the CVE list (cvelistV5), or a CNA container.' },
] as const;

function ImportForm(props: { project: Project; csrf: string; format: string; record: string; error?: DomainError }) {
  const { project, error } = props;
  return (
    <section>
      <p class="muted">
        <a href={`/p/${project.slug}/inbox`}>{project.name}</a>
      </p>
      <h1>Import an advisory</h1>
      <p>
        Opens a case from an upstream advisory: its packages and version ranges, CVSS vectors, CWEs, an advisory draft
        with its credits, ids and references. Ranges land on no release branch (the upstream's branches are not this
        project's); what the case cannot hold is listed once the case is open.
      </p>
      <ErrorNotice error={error} />
      <form method="post" action={`/p/${project.slug}/cases/import`} enctype="multipart/form-data">
        <CsrfField token={props.csrf} />
        <fieldset aria-invalid={invalidIf(error, 'format')}>
          <legend>Format</legend>
          {FORMATS.map((f) => (
            <label class="check" key={f.value}>
              <input type="radio" name="format" value={f.value} checked={props.format === f.value} /> {f.label}{' '}
              <span class="hint">{f.hint}</span>
            </label>
          ))}
        </fieldset>
        <label for="import-file">A file</label>
        <input id="import-file" type="file" name="file" accept=".json,application/json" />
        <label for="import-record">
          Or the record, pasted <span class="hint">(JSON)</span>
        </label>
        <textarea
          id="import-record"
          name="record"
          rows={14}
          aria-invalid={error?.details?.field !== undefined && error.details.field !== 'format' ? 'true' : undefined}
        >
          {props.record}
        </textarea>
        <button type="submit">Open a case from it</button>
      </form>
    </section>
  );
}

/** The record of the form: the file when one was chosen, else the pasted text. */
function recordOf(form: ReturnType<typeof readSubmittedForm>): unknown {
  const file = form.files[0];
  const text = file ? file.content.toString('utf8') : (form.fields.record ?? '');
  if (!text.trim()) {
    throw new DomainError('VALIDATION_FAILED', 'Choose a file or paste the record.', { field: 'record' });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DomainError('VALIDATION_FAILED', 'The record is not valid JSON.', { field: 'record' });
  }
}

/** The warnings the import wrote in the new case's history. */
function importWarnings(value: unknown): string[] {
  const warnings = (value as { warnings?: unknown } | null)?.warnings;
  return Array.isArray(warnings) ? warnings.filter((w): w is string => typeof w === 'string') : [];
}

/** GET and POST /p/:slug/cases/import (case.import), and the result page of an import (case.read). */
export function caseImportPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    await acceptMultipart(app, deps.config);
    app.addHook('preHandler', requireSignIn);

    const allowed = async (request: FastifyRequest<{ Params: SlugParams }>): Promise<Project> => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'case.import', { projectId: project.id });
      return project;
    };
    const page = (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      extra: { format?: string; record?: string; error?: DomainError; status?: number } = {},
    ) =>
      reply.page(
        <ImportForm
          project={project}
          csrf={request.csrfToken()}
          format={extra.format ?? 'osv'}
          record={extra.record ?? ''}
          {...(extra.error ? { error: extra.error } : {})}
        />,
        { title: `Import an advisory · ${project.name}`, ...(extra.status ? { status: extra.status } : {}) },
      );

    app.get<{ Params: SlugParams }>(
      '/p/:slug/cases/import',
      { schema: { params: Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) }) } },
      async (request, reply) => page(request, reply, await allowed(request)),
    );

    app.post<{ Params: SlugParams }>(
      '/p/:slug/cases/import',
      { schema: { params: Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) }) } },
      async (request, reply) => {
        const project = await allowed(request);
        const form = readSubmittedForm(request);
        try {
          const format = importFormat(form.fields.format);
          const imported = readImported(format, recordOf(form), deps.clock.now());
          const { theCase } = await openImported(deps, {
            actor: request.actor,
            origin: request.origin,
            project,
            imported,
          });
          return reply.redirect(`/p/${project.slug}/cases/${theCase.number}/imported`, 303);
        } catch (err) {
          const { error, status } = formFailure(request, err);
          // A pasted record is shown again; an uploaded one is chosen again.
          const extra = { format: form.fields.format ?? 'osv', record: form.fields.record ?? '', error, status };
          return page(request, reply, project, extra);
        }
      },
    );

    app.get<{ Params: CaseParams }>(
      '/p/:slug/cases/:number/imported',
      {
        schema: {
          params: Type.Object({
            slug: Type.String({ minLength: 1, maxLength: 64 }),
            number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
          }),
        },
      },
      async (request, reply) => {
        const project = await requireProject(deps.db, request.params.slug);
        const number = Number(request.params.number);
        authorize(request.actor, 'case.read', await caseSubject(deps.db, { projectId: project.id, number }));
        const { theCase, entry } = await deps.db.transaction().execute(async (trx) => {
          const view = await getCaseForTeam(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            projectId: project.id,
            number,
          });
          const history = await caseHistory(trx, view.case.id);
          return { theCase: view.case, entry: history.find((e) => e.change === 'case.imported') };
        });
        if (!entry) throw new DomainError('NOT_FOUND', 'This case was not imported.');
        const source = entry.value as { source?: unknown; id?: unknown } | null;
        const warnings = importWarnings(entry.value);
        const caseUrl = `/p/${project.slug}/cases/${theCase.number}`;
        return reply.page(
          <section data-imported-case={theCase.number}>
            <h1>Case #{theCase.number} opened</h1>
            <p>
              Imported from {source?.source === 'cve5' ? 'a CVE record' : 'an OSV record'}
              {typeof source?.id === 'string' && source.id ? (
                <>
                  {' '}
                  <code>{source.id}</code>
                </>
              ) : null}
              : <a href={caseUrl}>{theCase.title}</a>
            </p>
            {warnings.length ? (
              <>
                <h2>Not carried over</h2>
                <p class="muted">Check these by hand on the case; they are kept in its history too.</p>
                <ul data-import-warnings="">
                  {warnings.map((w, i) => (
                    <li key={i}>{w}</li>
                  ))}
                </ul>
              </>
            ) : (
              <p class="muted" data-import-warnings="none">
                Everything in the record was carried over.
              </p>
            )}
            <p>
              <a href={caseUrl}>Go to the case</a> · <a href={`${caseUrl}/advisory`}>its advisory draft</a>
            </p>
          </section>,
          { title: `Case #${theCase.number} imported · ${project.name}` },
        );
      },
    );
  };
}
