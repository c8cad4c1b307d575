import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Case } from '../../domain/cases/cases.js';
import { caseAffected } from '../../domain/cases/affected.service.js';
import { transitionCase } from '../../domain/cases/case-transitions.service.js';
import { caseSubject, listCollaborators } from '../../domain/cases/collaborators.service.js';
import { getCaseForTeam, requireCase } from '../../domain/cases/cases.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import type { ExploitationInput, SeverityChanges } from '../../domain/severity/case-severity.js';
import {
  addCaseCwe,
  caseHistory,
  caseSeverity,
  removeCaseCwe,
  updateCaseSeverity,
} from '../../domain/severity/case-severity.service.js';
import { searchCwe } from '../../domain/severity/cwe.js';
import { scoreCvss } from '../../domain/severity/cvss.js';
import { parseSupplierInput, type SupplierInput } from '../../domain/severity/ssvc.js';
import { DomainError } from '../../errors.js';
import { authorize, can } from '../../policies/policy.js';
import { ExploitationForm, type FormError, SeveritySummary, SsvcForm } from '../views/case-severity.js';
import { CaseHistoryList } from '../views/case-history.js';
import { CaseStateSection, MANUAL_ACTIONS, type ManualAction } from '../views/case-state.js';
import { CvssCalculator } from '../views/cvss-calculator.js';
import { CwePicker } from '../views/cwe-picker.js';
import { when } from '../views/time.js';
import { type CalculatorVersion, cvssFormDraft, readCvssForm } from './cvss-form.js';
import { AffectedSection } from './case-affected.js';
import { loadPatchesSection, PatchesSection } from './case-patches.js';
import { CaseTeamSection, loadCaseTeamSection } from './case-team.js';
import { CollaboratorsSection } from './case-collaborators.js';
import { CaseEmbargoSection, loadCaseEmbargoSection } from './case-embargo.js';
import { CaseAdvisorySection } from './case-advisory.js';
import { DisclosureSection, loadDisclosureSection } from './case-release.js';
import { getAdvisory } from '../../domain/advisories/advisories.service.js';
import { checkbox, field, formFailure } from './forms.js';
import { requireSignIn } from './require-user.js';
import { replyChangeRefused } from '../views/change-refused.js';

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});
type P = { Params: { slug: string; number: string } };
type Req = FastifyRequest<P>;

/** What a re-rendered page keeps of the form the user just sent: a preview, or their input and the error. */
interface FormState {
  cvss?: { version: CalculatorVersion; vector: string | null; error?: FormError; reason: string; pasted?: string };
  ssvc?: { value: SupplierInput | null; error?: FormError; reason: string };
  exploitation?: { value: ExploitationInput; error?: FormError; reason: string };
  cwe?: { error: string; query: string };
}

const SSVC_FIELDS = ['exploitation', 'automatable', 'valueDensity', 'technicalImpact', 'publicSafetyImpact'] as const;

function formError(err: DomainError): FormError {
  const field = typeof err.details?.field === 'string' ? err.details.field : undefined;
  // A vector error names the metric in `metric`; the calculator shows it beside that metric.
  const metric = typeof err.details?.metric === 'string' ? err.details.metric : undefined;
  return { message: err.message, ...(metric ? { field: metric } : field ? { field } : {}) };
}

function exploitationFromForm(body: unknown): ExploitationInput {
  const exposure = field(body, 'exposure');
  return {
    exploitedInTheWild: checkbox(body, 'exploitedInTheWild'),
    source: field(body, 'source').trim() || null,
    reportedOn: field(body, 'reportedOn').trim() || null,
    publicExploit: checkbox(body, 'publicExploit'),
    exposure: exposure === '' ? null : (exposure as ExploitationInput['exposure']),
  };
}

/**
 * A case's page: its facts, severity (effective severity with the reasons and the deadlines it
 * sets), the CVSS 3.1 and 4.0 calculators, SSVC, exploitation context, CWEs and the case history.
 * Every form works without JavaScript; cvss.js and cwe.js only make them faster to use.
 */
export function casePages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const tx = <T,>(fn: (trx: Trx) => Promise<T>): Promise<T> => deps.db.transaction().execute(fn);
    const base = (project: Project, c: { number: number }) => `/p/${project.slug}/cases/${c.number}`;

    async function showCase(
      request: Req,
      reply: FastifyReply,
      project: Project,
      state: FormState = {},
      status?: number,
    ): Promise<FastifyReply> {
      const actor = request.actor;
      const query = field(request.query, 'cwe_q').slice(0, 100);
      const { view, severity, history, affected, patches, team, collaborators, embargo, advisory, disclosure } =
        await tx(async (trx) => {
          const v = await getCaseForTeam(trx, deps, {
            actor,
            origin: request.origin,
            projectId: project.id,
            number: Number(request.params.number),
          });
          return {
            view: v,
            severity: await caseSeverity(trx, v.case),
            history: await caseHistory(trx, v.case.id),
            affected: await caseAffected(trx, v.case, deps.clock.now()),
            team: await loadCaseTeamSection(trx, { actor, projectId: project.id, caseId: v.case.id }),
            collaborators: await listCollaborators(trx, v.case.id),
            embargo: await loadCaseEmbargoSection(trx, deps, { actor, theCase: v.case }),
            advisory: await getAdvisory(trx, v.case),
            disclosure: await loadDisclosureSection(trx, { actor, theCase: v.case }),
            patches: await loadPatchesSection(
              { db: trx, clock: deps.clock },
              { actor, project, theCase: v.case, csrfToken: request.csrfToken() },
            ),
          };
        });
      const c = view.case;
      const url = base(project, c);
      const csrf = request.csrfToken();
      const canEdit = can(actor, 'case.severity.edit', { projectId: project.id });
      // An invited collaborator sees this case only: no links into the rest of the project.
      const isMember = can(actor, 'project.view', { projectId: project.id });
      const saved = { '3.1': severity.cvss.v31?.vector ?? null, '4.0': severity.cvss.v40?.vector ?? null };
      const calculator = (version: CalculatorVersion) => {
        const draft = state.cvss?.version === version ? state.cvss : undefined;
        const vector = draft ? draft.vector : saved[version];
        let score;
        try {
          score = vector ? scoreCvss(vector) : undefined;
        } catch {
          score = undefined; // an incomplete draft after a refusal: the error says what is missing
        }
        return (
          <section id={`cvss-${version}`} class="calculator">
            <h3>CVSS {version}</h3>
            <CvssCalculator
              version={version}
              vector={vector}
              {...(score ? { score } : {})}
              {...(draft?.error ? { error: draft.error } : {})}
              action={`${url}/cvss#cvss-${version}`}
              csrfToken={csrf}
              savedVector={saved[version]}
              reason={draft?.reason ?? ''}
              {...(draft?.pasted ? { pasted: draft.pasted } : {})}
            />
          </section>
        );
      };
      const cweQuery = state.cwe?.query ?? query;
      return reply.page(
        <article class="case">
          <p class="muted">
            {isMember ? <a href={`/p/${project.slug}/inbox`}>{project.name}</a> : project.name} · case #{c.number}
          </p>
          <h1>{c.title}</h1>
          <dl class="facts">
            <dt>State</dt>
            <dd>
              <span class={`badge case-${c.state}`}>{c.state}</span>
            </dd>
            <dt>Embargo</dt>
            <dd>{c.embargoed ? <strong class="embargoed">Embargoed: keep it private</strong> : 'Public'}</dd>
            <dt>Opened</dt>
            <dd>{when(c.createdAt)}</dd>
            <dt>From report</dt>
            <dd>
              {view.reports.length === 0
                ? 'none'
                : view.reports.map((r, i) => (
                    <span key={r.id}>
                      {i > 0 ? ', ' : ''}
                      {isMember ? <a href={`/p/${project.slug}/reports/${r.id}`}>{r.trackingId}</a> : r.trackingId}
                    </span>
                  ))}
            </dd>
          </dl>
          <CaseStateSection
            theCase={c}
            action={`${url}/transition#state`}
            csrfToken={csrf}
            canEdit={can(actor, 'case.transition', { projectId: project.id })}
          />
          <CaseTeamSection projectSlug={project.slug} caseNumber={c.number} csrfToken={csrf} {...team} />
          <CollaboratorsSection
            projectSlug={project.slug}
            caseNumber={c.number}
            collaborators={collaborators}
            csrfToken={csrf}
            canEdit={can(actor, 'case.collaborators.manage', { projectId: project.id })}
          />
          <CaseAdvisorySection
            projectSlug={project.slug}
            caseNumber={c.number}
            advisory={advisory}
            canEdit={can(actor, 'case.advisory.edit', { projectId: project.id })}
            canRevise={can(actor, 'case.advisory.revise', { projectId: project.id })}
          />
          <CaseEmbargoSection projectSlug={project.slug} caseNumber={c.number} csrfToken={csrf} {...embargo} />
          {disclosure ? (
            <DisclosureSection projectSlug={project.slug} caseNumber={c.number} csrfToken={csrf} {...disclosure} />
          ) : null}
          <SeveritySummary severity={severity} policyUrl={`/p/${project.slug}/settings/severity`} />
          {canEdit ? (
            <section class="scoring" aria-labelledby="scoring-heading">
              <h2 id="scoring-heading">Score this case</h2>
              {calculator('4.0')}
              {calculator('3.1')}
              <SsvcForm
                action={`${url}/ssvc#ssvc`}
                csrfToken={csrf}
                value={state.ssvc ? state.ssvc.value : severity.ssvc}
                {...(state.ssvc?.error ? { error: state.ssvc.error } : {})}
                reason={state.ssvc?.reason ?? ''}
              />
              <ExploitationForm
                action={`${url}/exploitation#exploitation`}
                csrfToken={csrf}
                value={state.exploitation?.value ?? severity.exploitation}
                {...(state.exploitation?.error ? { error: state.exploitation.error } : {})}
                reason={state.exploitation?.reason ?? ''}
              />
            </section>
          ) : null}
          <section id="cwe" aria-labelledby="cwe-heading">
            <h2 id="cwe-heading">Weaknesses (CWE)</h2>
            <CwePicker
              selected={severity.cwes}
              query={cweQuery}
              results={cweQuery ? searchCwe(cweQuery) : []}
              searchAction={`${url}#cwe`}
              addAction={`${url}/cwes/add#cwe`}
              removeAction={`${url}/cwes/remove#cwe`}
              csrfToken={csrf}
              {...(state.cwe?.error ? { error: state.cwe.error } : {})}
              canEdit={canEdit}
            />
          </section>
          <AffectedSection
            projectSlug={project.slug}
            caseNumber={c.number}
            affected={affected}
            csrfToken={csrf}
            canEdit={can(actor, 'case.affected.edit', { projectId: project.id })}
          />
          <PatchesSection {...patches} />
          <CaseHistoryList entries={history} />
        </article>,
        {
          title: `Case #${c.number} · ${project.name}`,
          scripts: ['cvss.js', 'cwe.js', 'local-time.js'],
          styles: ['severity.css', 'patch.css'],
          ...(status ? { status } : {}),
        },
      );
    }

    /** The project and case of the URL, once the actor may change the case's severity. */
    async function editable(request: Req): Promise<{ project: Project; theCase: Case }> {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'case.severity.edit', { projectId: project.id });
      return { project, theCase: await requireCase(deps.db, project.id, Number(request.params.number)) };
    }

    /** Saves a change; on a refusal re-renders the page with the user's input and the error. */
    async function save(
      request: Req,
      reply: FastifyReply,
      target: { project: Project; theCase: Case },
      changes: SeverityChanges,
      reason: string,
      anchor: string,
      onError: (error: FormError) => FormState,
    ): Promise<FastifyReply> {
      try {
        await tx((trx) =>
          updateCaseSeverity(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            theCase: target.theCase,
            changes,
            reason,
          }),
        );
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return showCase(request, reply, target.project, onError(formError(error)), status);
      }
      deps.wakeWorker();
      return reply.redirect(`${base(target.project, target.theCase)}#${anchor}`, 303);
    }

    app.get<P>(
      '/p/:slug/cases/:number',
      { schema: { params: Params }, preHandler: requireSignIn },
      async (request, reply) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(
          request.actor,
          'case.read',
          await caseSubject(deps.db, { projectId: project.id, number: Number(request.params.number) }),
        );
        return showCase(request, reply, project);
      },
    );

    // The calculator: Calculate and Apply re-render the page with the server's scores (nothing is
    // stored); Save and Remove change the case.
    app.post<P>(
      '/p/:slug/cases/:number/cvss',
      { schema: { params: Params }, preHandler: requireSignIn },
      async (request, reply) => {
        const target = await editable(request);
        const body = (request.body ?? {}) as Record<string, unknown>;
        let form;
        try {
          form = readCvssForm(body);
        } catch (err) {
          const { error, status } = formFailure(request, err);
          const draft = cvssFormDraft(body);
          return showCase(request, reply, target.project, { cvss: { ...draft, error: formError(error) } }, status);
        }
        if (form.intent === 'calculate' || form.intent === 'apply') {
          return showCase(request, reply, target.project, {
            cvss: { version: form.version, vector: form.vector, reason: form.reason },
          });
        }
        const changes: SeverityChanges = form.version === '3.1' ? { cvssV31: form.vector } : { cvssV40: form.vector };
        return save(request, reply, target, changes, form.reason, `cvss-${form.version}`, (error) => ({
          cvss: { version: form.version, vector: form.vector, reason: form.reason, error },
        }));
      },
    );

    app.post<P>(
      '/p/:slug/cases/:number/ssvc',
      { schema: { params: Params }, preHandler: requireSignIn },
      async (request, reply) => {
        const target = await editable(request);
        const body = request.body;
        const reason = field(body, 'reason');
        const raw = Object.fromEntries(SSVC_FIELDS.map((f) => [f, field(body, f)]));
        const partial = raw as unknown as SupplierInput;
        let value: SupplierInput | null;
        try {
          value = field(body, 'intent') === 'clear' ? null : parseSupplierInput(raw);
        } catch (err) {
          const { error, status } = formFailure(request, err);
          return showCase(
            request,
            reply,
            target.project,
            { ssvc: { value: partial, error: formError(error), reason } },
            status,
          );
        }
        return save(request, reply, target, { ssvc: value }, reason, 'ssvc', (error) => ({
          ssvc: { value: value ?? partial, reason, error },
        }));
      },
    );

    app.post<P>(
      '/p/:slug/cases/:number/exploitation',
      { schema: { params: Params }, preHandler: requireSignIn },
      async (request, reply) => {
        const target = await editable(request);
        const value = exploitationFromForm(request.body);
        const reason = field(request.body, 'reason');
        return save(request, reply, target, { exploitation: value }, reason, 'exploitation', (error) => ({
          exploitation: { value, reason, error },
        }));
      },
    );

    app.post<P>(
      '/p/:slug/cases/:number/transition',
      { schema: { params: Params }, preHandler: requireSignIn },
      async (request, reply) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'case.transition', { projectId: project.id });
        const theCase = await requireCase(deps.db, project.id, Number(request.params.number));
        const action = field(request.body, 'action') as ManualAction;
        try {
          if (!MANUAL_ACTIONS.includes(action)) {
            throw new DomainError('VALIDATION_FAILED', 'Choose one of the lifecycle actions offered.', {
              field: 'action',
            });
          }
          await tx((trx) =>
            transitionCase(trx, deps, {
              actor: request.actor,
              origin: request.origin,
              theCase,
              action,
              reason: field(request.body, 'reason'),
            }),
          );
        } catch (err) {
          const { error, status } = formFailure(request, err);
          return replyChangeRefused(reply, {
            heading: 'The case did not move',
            error,
            status,
            back: `${base(project, theCase)}#state`,
            caseNumber: theCase.number,
            projectName: project.name,
          });
        }
        deps.wakeWorker();
        return reply.redirect(`${base(project, theCase)}#state`, 303);
      },
    );

    for (const action of ['add', 'remove'] as const) {
      app.post<P>(
        `/p/:slug/cases/:number/cwes/${action}`,
        { schema: { params: Params }, preHandler: requireSignIn },
        async (request, reply) => {
          const target = await editable(request);
          const query = field(request.body, 'cwe_q').slice(0, 100);
          const input = {
            actor: request.actor,
            origin: request.origin,
            theCase: target.theCase,
            cwe: field(request.body, 'cwe'),
          };
          try {
            await tx((trx) => (action === 'add' ? addCaseCwe(trx, deps, input) : removeCaseCwe(trx, deps, input)));
          } catch (err) {
            const { error, status } = formFailure(request, err);
            return showCase(request, reply, target.project, { cwe: { error: error.message, query } }, status);
          }
          deps.wakeWorker();
          const back = base(target.project, target.theCase);
          return reply.redirect(`${back}${query ? `?cwe_q=${encodeURIComponent(query)}` : ''}#cwe`, 303);
        },
      );
    }
  };
}
