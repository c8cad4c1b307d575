import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import type { Case } from '../../domain/cases/cases.js';
import { CASE_STATES, MANUAL_CASE_ACTIONS } from '../../domain/cases/case-state.js';
import { caseSubject } from '../../domain/cases/collaborators.service.js';
import { transitionCase } from '../../domain/cases/case-transitions.service.js';
import { auditCaseRead, getCaseForTeam, requireCase } from '../../domain/cases/cases.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import type { CaseSeverity, SeverityChanges } from '../../domain/severity/case-severity.js';
import {
  addCaseCwe,
  caseHistory,
  caseSeverity,
  removeCaseCwe,
  updateCaseSeverity,
} from '../../domain/severity/case-severity.service.js';
import type { CvssScore, RatedScore } from '../../domain/severity/cvss.js';
import { exposureValues, severities } from '../../domain/severity/effective-severity.js';
import { releaseKinds } from '../../domain/severity/severity-policy.js';
import {
  automatableValues,
  exploitationValues,
  publicSafetyImpactValues,
  ssvcPriorities,
  technicalImpactValues,
  utilityValues,
  valueDensityValues,
} from '../../domain/severity/ssvc.js';
import { type Action, authorize } from '../../policies/policy.js';
import { requireJson } from './api-input.js';
import { apiTokenRequired } from './openapi.js';
import { errors } from './schemas.js';

// A case's severity over JSON: the same services as the case page. Every score, the effective
// severity and the deadlines are computed by the server from the stored vectors and inputs.

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});

const Rated = Type.Object({ score: Type.Number(), rating: Type.String() });
const Score = Type.Object({
  version: Type.String(),
  vector: Type.String(),
  base: Rated,
  temporal: Type.Optional(Rated),
  threat: Type.Optional(Rated),
  environmental: Type.Optional(Rated),
  overall: Type.Object({ score: Type.Number(), rating: Type.String(), nomenclature: Type.Optional(Type.String()) }),
});
const SsvcInput = Type.Object(
  {
    exploitation: literals(exploitationValues),
    automatable: literals(automatableValues),
    valueDensity: literals(valueDensityValues),
    technicalImpact: literals(technicalImpactValues),
    publicSafetyImpact: literals(publicSafetyImpactValues),
  },
  { additionalProperties: false },
);
const Exploitation = Type.Object(
  {
    exploitedInTheWild: Type.Boolean(),
    source: nullable(Type.String({ maxLength: 200, description: 'Who reported the exploitation.' })),
    reportedOn: nullable(Type.String({ description: 'YYYY-MM-DD; only when exploited in the wild.' })),
    publicExploit: Type.Boolean(),
    exposure: nullable(literals(exposureValues)),
  },
  { additionalProperties: false },
);
const Severity = Type.Object({
  effective: Type.Object({
    severity: literals(severities),
    priority: literals(ssvcPriorities),
    reasons: Type.Array(Type.String()),
    raisedFromCvss: Type.Boolean(),
  }),
  cvss: Type.Object({ v31: nullable(Score), v40: nullable(Score), imported: nullable(Score) }),
  ssvc: nullable(
    Type.Object({
      exploitation: Type.String(),
      automatable: Type.String(),
      valueDensity: Type.String(),
      technicalImpact: Type.String(),
      publicSafetyImpact: Type.String(),
      utility: literals(utilityValues),
      priority: literals(ssvcPriorities),
      summary: Type.String(),
      reasons: Type.Array(Type.String()),
    }),
  ),
  exploitation: Exploitation,
  highestCvss: nullable(Type.Number()),
  targets: Type.Object({
    severity: nullable(Type.String()),
    fixDue: nullable(Type.String({ format: 'date-time' })),
    release: nullable(literals(releaseKinds)),
    remindDays: nullable(Type.Integer()),
    gate: nullable(Type.Object({ kind: Type.String(), words: Type.String() })),
  }),
  cwes: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String() })),
  nextReminderAt: nullable(Type.String({ format: 'date-time' })),
  updatedAt: nullable(Type.String({ format: 'date-time' })),
});
const CaseBody = Type.Object({
  id: Type.String(),
  number: Type.Integer(),
  title: Type.String(),
  state: Type.String(),
  embargoed: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  reports: Type.Array(Type.Object({ id: Type.String(), trackingId: Type.String() })),
  severity: Severity,
});
const vector = (description: string) => Type.Optional(nullable(Type.String({ maxLength: 300, description })));
const SeverityPatch = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 2000, description: 'Why; kept in the case history.' }),
    cvssV31: vector('A CVSS:3.1/ vector; null removes it.'),
    cvssV40: vector('A CVSS:4.0/ vector; null removes it.'),
    cvssImported: vector('A CVSS 3.0 or 2.0 vector from an imported advisory; null removes it.'),
    ssvc: Type.Optional(nullable(SsvcInput)),
    exploitation: Type.Optional(Exploitation),
  },
  { additionalProperties: false },
);
const HistoryEntry = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  actorLabel: Type.String(),
  change: Type.String(),
  previous: Type.Unknown(),
  value: Type.Unknown(),
  reason: nullable(Type.String()),
});

function scoreJson(s: CvssScore | null) {
  if (!s) return null;
  const r = (x: RatedScore | undefined) => (x ? { score: x.score, rating: x.rating } : undefined);
  return {
    version: s.version,
    vector: s.vector,
    base: { score: s.base.score, rating: s.base.rating },
    ...(s.temporal ? { temporal: r(s.temporal) } : {}),
    ...(s.threat ? { threat: r(s.threat) } : {}),
    ...(s.environmental ? { environmental: r(s.environmental) } : {}),
    overall: s.overall,
  };
}

/** The severity as JSON: dates as ISO strings. */
export function severityJson(s: CaseSeverity) {
  return {
    effective: { ...s.effective, reasons: [...s.effective.reasons] },
    cvss: { v31: scoreJson(s.cvss.v31), v40: scoreJson(s.cvss.v40), imported: scoreJson(s.cvss.imported) },
    ssvc: s.ssvc
      ? {
          exploitation: s.ssvc.exploitation,
          automatable: s.ssvc.automatable,
          valueDensity: s.ssvc.valueDensity,
          technicalImpact: s.ssvc.technicalImpact,
          publicSafetyImpact: s.ssvc.publicSafetyImpact,
          utility: s.ssvc.utility,
          priority: s.ssvc.priority,
          summary: s.ssvc.explanation.summary,
          reasons: s.ssvc.explanation.reasons,
        }
      : null,
    exploitation: s.exploitation,
    highestCvss: s.highestCvss,
    targets: { ...s.targets, fixDue: s.targets.fixDue?.toISOString() ?? null },
    cwes: s.cwes,
    nextReminderAt: s.nextReminderAt,
    updatedAt: s.updatedAt,
  };
}

const tags = ['cases'];

export function casesApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);
    const tx = deps.db.transaction();

    type R = Pick<FastifyRequest, 'actor' | 'origin'> & { params: { slug: string; number: string } };
    const project = async (request: R, action: Action): Promise<Project> => {
      const p = await requireProject(deps.db, request.params.slug);
      authorize(
        request.actor,
        action,
        await caseSubject(deps.db, { projectId: p.id, number: Number(request.params.number) }),
      );
      return p;
    };
    /** The case as JSON after an audited read (its title and severity are embargoed content). */
    const readCase = (request: R, p: Project) =>
      tx.execute(async (trx) => {
        const view = await getCaseForTeam(trx, deps, {
          actor: request.actor,
          origin: request.origin,
          projectId: p.id,
          number: Number(request.params.number),
        });
        return { view, severity: await caseSeverity(trx, view.case), history: () => caseHistory(trx, view.case.id) };
      });

    /** A change that changed nothing still answers with the case's data: audit it as a read. */
    const auditRead = (request: Pick<FastifyRequest, 'actor' | 'origin'>, theCase: Case) =>
      auditCaseRead(deps.db, deps, request, theCase);

    app.get(
      '/api/v1/projects/:slug/cases/:number',
      {
        schema: {
          summary: 'A case with its severity: scores, SSVC, exploitation, effective severity and deadlines',
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: CaseBody, ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const p = await project(request, 'case.read');
        const { view, severity } = await readCase(request, p);
        const c = view.case;
        return {
          id: c.id,
          number: c.number,
          title: c.title,
          state: c.state,
          embargoed: c.embargoed,
          createdAt: c.createdAt,
          updatedAt: c.updatedAt,
          reports: view.reports,
          severity: severityJson(severity),
        };
      },
    );

    app.get(
      '/api/v1/projects/:slug/cases/:number/history',
      {
        schema: {
          summary: "A case's history, newest first: each change with its previous value, who and why",
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: Type.Object({ entries: Type.Array(HistoryEntry) }), ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const p = await project(request, 'case.read');
        const entries = await tx.execute(async (trx) => {
          const view = await getCaseForTeam(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            projectId: p.id,
            number: Number(request.params.number),
          });
          return caseHistory(trx, view.case.id);
        });
        return { entries };
      },
    );

    app.patch(
      '/api/v1/projects/:slug/cases/:number/severity',
      {
        schema: {
          summary: "Change a case's CVSS vectors, SSVC decision or exploitation context (the server scores them)",
          description:
            'Fields left out stay as they are; null removes one. An invalid vector is refused with 400 ' +
            'VALIDATION_FAILED whose message names the bad metric. Nothing is stored unless every field is valid.',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: SeverityPatch,
          response: {
            200: Type.Object({ changed: Type.Array(Type.String()), severity: Severity }),
            ...errors(400, 401, 403, 404, 415),
          },
        },
      },
      async (request) => {
        const p = await project(request, 'case.severity.edit');
        const theCase = await requireCase(deps.db, p.id, Number(request.params.number));
        const { reason, ...rest } = request.body;
        const result = await tx.execute((trx) =>
          updateCaseSeverity(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            theCase,
            changes: rest as SeverityChanges,
            reason,
          }),
        );
        // Nothing changed: the answer is still the case's severity, so it counts as a read.
        if (result.changed.length === 0) await auditRead(request, theCase);
        deps.wakeWorker();
        return { changed: result.changed, severity: severityJson(result.severity) };
      },
    );

    app.post(
      '/api/v1/projects/:slug/cases/:number/transitions',
      {
        schema: {
          summary: 'Move a case through its lifecycle',
          description:
            'start_fix, fix_ready, reopen_fix, close and break_embargo (a leak or exploitation was seen). ' +
            'reopen_fix, close and break_embargo need a reason. Scheduling and publishing belong to the embargo. ' +
            'A move the current state does not allow is refused with 409 INVALID_TRANSITION.',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Type.Object(
            {
              action: literals(MANUAL_CASE_ACTIONS),
              reason: Type.Optional(Type.String({ maxLength: 2000 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              state: literals(CASE_STATES),
              embargoBrokenAt: nullable(Type.String({ format: 'date-time' })),
            }),
            ...errors(400, 401, 403, 404, 409, 415),
          },
        },
      },
      async (request) => {
        const p = await project(request, 'case.transition');
        const theCase = await requireCase(deps.db, p.id, Number(request.params.number));
        const moved = await tx.execute((trx) =>
          transitionCase(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            theCase,
            action: request.body.action,
            reason: request.body.reason ?? null,
          }),
        );
        deps.wakeWorker();
        return { state: moved.state, embargoBrokenAt: moved.embargoBrokenAt };
      },
    );

    const CweParams = Type.Object({ ...Params.properties, cwe: Type.String({ maxLength: 20 }) });
    const CweList = Type.Object({
      changed: Type.Boolean(),
      cwes: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String() })),
    });

    app.post(
      '/api/v1/projects/:slug/cases/:number/cwes',
      {
        schema: {
          summary: 'Add a CWE to a case',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Type.Object(
            {
              cwe: Type.Union([Type.Integer(), Type.String({ maxLength: 20 })], { description: '79 or "CWE-79".' }),
              reason: Type.Optional(Type.String({ maxLength: 2000 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: CweList, ...errors(400, 401, 403, 404, 415) },
        },
      },
      async (request) => {
        const p = await project(request, 'case.severity.edit');
        const theCase = await requireCase(deps.db, p.id, Number(request.params.number));
        const changed = await tx.execute((trx) =>
          addCaseCwe(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            theCase,
            cwe: request.body.cwe,
            ...(request.body.reason ? { reason: request.body.reason } : {}),
          }),
        );
        if (!changed) await auditRead(request, theCase);
        deps.wakeWorker();
        return { changed, cwes: (await caseSeverity(deps.db, theCase)).cwes };
      },
    );

    app.delete(
      '/api/v1/projects/:slug/cases/:number/cwes/:cwe',
      {
        schema: {
          summary: 'Remove a CWE from a case',
          tags,
          security: apiTokenRequired,
          params: CweParams,
          response: { 200: CweList, ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const p = await project(request, 'case.severity.edit');
        const theCase = await requireCase(deps.db, p.id, Number(request.params.number));
        const changed = await tx.execute((trx) =>
          removeCaseCwe(trx, deps, { actor: request.actor, origin: request.origin, theCase, cwe: request.params.cwe }),
        );
        if (!changed) await auditRead(request, theCase);
        deps.wakeWorker();
        return { changed, cwes: (await caseSeverity(deps.db, theCase)).cwes };
      },
    );
  };
}
