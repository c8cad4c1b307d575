import { DAY_MS, iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import type { Case } from '../cases/cases.js';
import { newId } from '../ids.js';
import type {
  CaseHistoryEntry,
  CaseSeverity,
  ExploitationInput,
  SeverityChanges,
  SeverityField,
} from './case-severity.js';
import {
  type CaseSeverityRow,
  cweIdsOfCase,
  deleteCaseCwe,
  findSeverityRow,
  insertCaseCwe,
  saveSeverityRow,
} from './case-severity.repository.js';
import { caseMoved } from './case-reminders.js';
import { findCwe, parseCweId } from './cwe.js';
import { type CvssScore, scoreCvss } from './cvss.js';
import { effectiveSeverity, type EffectiveSeverity, exposureValues } from './effective-severity.js';
import { caseTargets, type SeverityPolicy } from './severity-policy.js';
import { getSeverityPolicy } from './severity-policy.service.js';
import { explainSupplierDecision } from './ssvc-explain.js';
import { parseSupplierInput, supplierDecision, type SupplierInput } from './ssvc.js';
import { historyOfCase, insertHistory, lockCase } from '../cases/cases.repository.js';

const REASON_MAX = 2000;
const SOURCE_MAX = 200;

const noExploitation: ExploitationInput = {
  exploitedInTheWild: false,
  source: null,
  reportedOn: null,
  publicExploit: false,
  exposure: null,
};

// --- Reading ---------------------------------------------------------------------------------------

function scoreOrNull(vector: string | null): CvssScore | null {
  return vector === null ? null : scoreCvss(vector);
}

function ssvcOf(row: CaseSeverityRow | undefined): SupplierInput | null {
  if (!row?.ssvc_exploitation) return null;
  return parseSupplierInput({
    exploitation: row.ssvc_exploitation,
    automatable: row.ssvc_automatable,
    valueDensity: row.ssvc_value_density,
    technicalImpact: row.ssvc_technical_impact,
    publicSafetyImpact: row.ssvc_public_safety_impact,
  });
}

function exploitationOf(row: CaseSeverityRow | undefined): ExploitationInput {
  if (!row) return noExploitation;
  return {
    exploitedInTheWild: row.exploited_in_wild === 1,
    source: row.exploitation_source,
    reportedOn: row.exploitation_reported_on,
    publicExploit: row.public_exploit === 1,
    exposure: (row.exposure as ExploitationInput['exposure']) ?? null,
  };
}

interface Inputs {
  cvssV31: string | null;
  cvssV40: string | null;
  cvssImported: string | null;
  ssvc: SupplierInput | null;
  exploitation: ExploitationInput;
}

function inputsOf(row: CaseSeverityRow | undefined): Inputs {
  return {
    cvssV31: row?.cvss_v31 ?? null,
    cvssV40: row?.cvss_v40 ?? null,
    cvssImported: row?.cvss_imported ?? null,
    ssvc: ssvcOf(row),
    exploitation: exploitationOf(row),
  };
}

interface Derived {
  scores: { v31: CvssScore | null; v40: CvssScore | null; imported: CvssScore | null };
  effective: EffectiveSeverity;
  highestCvss: number | null;
}

/**
 * The documented rule (effective-severity.ts) over the case's inputs. An imported 3.0/2.0 score
 * counts only while the team has not scored the case in 3.1 or 4.0 itself.
 */
function derive(inputs: Inputs): Derived {
  const scores = {
    v31: scoreOrNull(inputs.cvssV31),
    v40: scoreOrNull(inputs.cvssV40),
    imported: scoreOrNull(inputs.cvssImported),
  };
  const own = [scores.v31, scores.v40].filter((s): s is CvssScore => s !== null);
  const counted = own.length > 0 ? own : scores.imported ? [scores.imported] : [];
  const e = inputs.exploitation;
  const effective = effectiveSeverity({
    cvss: counted,
    ...(inputs.ssvc ? { ssvcPriority: supplierDecision(inputs.ssvc).priority } : {}),
    exploitation: {
      exploitedInTheWild: e.exploitedInTheWild,
      ...(e.exploitedInTheWild && e.source && e.reportedOn
        ? { exploitationEvidence: { source: e.source, reportedOn: e.reportedOn } }
        : {}),
      publicExploit: e.publicExploit,
      ...(e.exposure ? { exposure: e.exposure } : {}),
    },
  });
  const highestCvss = counted.length === 0 ? null : Math.max(...counted.map((s) => s.overall.score));
  return { scores, effective, highestCvss };
}

function view(
  inputs: Inputs,
  row: CaseSeverityRow | undefined,
  policy: SeverityPolicy,
  theCase: Pick<Case, 'createdAt'>,
  cweIds: number[],
): CaseSeverity {
  const { scores, effective, highestCvss } = derive(inputs);
  return {
    cvss: scores,
    ssvc: inputs.ssvc ? { ...supplierDecision(inputs.ssvc), explanation: explainSupplierDecision(inputs.ssvc) } : null,
    exploitation: inputs.exploitation,
    effective,
    highestCvss,
    targets: caseTargets(policy, { openedAt: new Date(theCase.createdAt), effective, highestCvss }),
    cwes: cweIds.map((id) => ({ id, name: findCwe(id)?.name ?? 'Unknown CWE' })),
    nextReminderAt: row?.next_reminder_at ?? null,
    updatedAt: row?.updated_at ?? null,
  };
}

/** A case's severity with every score and target computed. No audit: the caller audits the case read. */
export async function caseSeverity(db: DbOrTrx, theCase: Case): Promise<CaseSeverity> {
  const row = await findSeverityRow(db, theCase.id);
  const { policy } = await getSeverityPolicy(db, theCase.projectId);
  return view(inputsOf(row), row, policy, theCase, await cweIdsOfCase(db, theCase.id));
}

function parseJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

/** The case's history, newest first. Embargoed content: the caller audits the read. */
export async function caseHistory(db: DbOrTrx, caseId: string): Promise<CaseHistoryEntry[]> {
  const rows = await historyOfCase(db, caseId);
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actorLabel: r.actor_label,
    change: r.change,
    previous: parseJson(r.previous),
    value: parseJson(r.value),
    reason: r.reason,
  }));
}

// --- Checking input ---------------------------------------------------------------------------------

function checkReason(reason: string): string {
  const text = reason.trim();
  if (text.length === 0) {
    throw new DomainError(
      'VALIDATION_FAILED',
      'Say why the severity changes: the reason is kept in the case history.',
      {
        field: 'reason',
      },
    );
  }
  if (text.length > REASON_MAX) {
    throw new DomainError('VALIDATION_FAILED', `The reason is longer than ${REASON_MAX} characters.`, {
      field: 'reason',
    });
  }
  return text;
}

function checkVector(vector: string | null, field: SeverityField, versions: readonly string[]): string | null {
  if (vector === null) return null;
  let score: CvssScore;
  try {
    score = scoreCvss(vector);
  } catch (err) {
    // Keep the message (it names the metric); say which of the case's vectors it was.
    if (err instanceof DomainError) throw new DomainError(err.code, err.message, { ...err.details, field });
    throw err;
  }
  if (!versions.includes(score.version)) {
    const wanted = versions.map((v) => `CVSS:${v}`).join(' or ');
    const hint =
      field === 'cvssImported'
        ? ' New scores use CVSS 3.1 or 4.0.'
        : ' CVSS 3.0 and 2.0 vectors are accepted only as imported ones (cvssImported).';
    throw new DomainError('VALIDATION_FAILED', `${field} must be a ${wanted} vector.${hint}`, { field });
  }
  return score.vector;
}

function checkExploitation(raw: ExploitationInput, today: string): ExploitationInput {
  const fail = (field: string, message: string): never => {
    throw new DomainError('VALIDATION_FAILED', message, { field: `exploitation.${field}` });
  };
  if (typeof raw.exploitedInTheWild !== 'boolean')
    fail('exploitedInTheWild', 'exploitedInTheWild must be true or false.');
  if (typeof raw.publicExploit !== 'boolean') fail('publicExploit', 'publicExploit must be true or false.');
  if (raw.exposure !== null && !(exposureValues as readonly string[]).includes(raw.exposure)) {
    fail('exposure', `exposure must be one of: ${exposureValues.join(', ')}, or null while unknown.`);
  }
  const source = raw.source?.trim() || null;
  const reportedOn = raw.reportedOn?.trim() || null;
  if (!raw.exploitedInTheWild) {
    if (source || reportedOn) {
      fail('source', 'A source and date of exploitation are recorded only when the bug is exploited in the wild.');
    }
    return {
      exploitedInTheWild: false,
      source: null,
      reportedOn: null,
      publicExploit: raw.publicExploit,
      exposure: raw.exposure,
    };
  }
  if (source !== null && source.length > SOURCE_MAX)
    fail('source', `The source is longer than ${SOURCE_MAX} characters.`);
  if (reportedOn !== null) {
    const date = new Date(`${reportedOn}T00:00:00Z`);
    if (
      !/^\d{4}-\d{2}-\d{2}$/.test(reportedOn) ||
      Number.isNaN(date.getTime()) ||
      iso(date).slice(0, 10) !== reportedOn
    ) {
      fail('reportedOn', 'The date of the exploitation report must be a date as YYYY-MM-DD.');
    }
    if (reportedOn > today) fail('reportedOn', 'The date of the exploitation report is in the future.');
  }
  // A fixed key order: the stored value is compared as JSON to tell whether anything changed.
  return { exploitedInTheWild: true, source, reportedOn, publicExploit: raw.publicExploit, exposure: raw.exposure };
}

// --- Changing ---------------------------------------------------------------------------------------

interface ChangeContext {
  actor: Actor;
  origin: RequestOrigin;
  theCase: Case;
  reason: string;
}

async function history(
  trx: Trx,
  at: string,
  ctx: ChangeContext,
  entry: { change: string; previous: unknown; value: unknown },
): Promise<void> {
  await insertHistory(trx, {
    id: newId(),
    case_id: ctx.theCase.id,
    project_id: ctx.theCase.projectId,
    at,
    actor_user_id: ctx.actor.kind === 'user' ? ctx.actor.userId : null,
    actor_label: actorLabel(ctx.actor),
    change: entry.change,
    previous: entry.previous === null ? null : JSON.stringify(entry.previous),
    value: entry.value === null ? null : JSON.stringify(entry.value),
    reason: ctx.reason,
  });
}

const historyName: Record<SeverityField, string> = {
  cvssV31: 'cvss.v3.1',
  cvssV40: 'cvss.v4.0',
  cvssImported: 'cvss.imported',
  ssvc: 'ssvc',
  exploitation: 'exploitation',
};

export interface SeverityUpdate {
  actor: Actor;
  origin: RequestOrigin;
  theCase: Case;
  changes: SeverityChanges;
  reason: string;
}

/**
 * Changes some of a case's severity inputs at once. Each field that really changes gets a history
 * entry with its previous value, who and why; so does the effective severity when it moves. One
 * audit entry sums it up. Everything is checked before anything is written. The case counts as
 * moved (its reminder clock restarts). Returns the fields that changed (none: nothing written).
 */
export async function updateCaseSeverity(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: SeverityUpdate,
): Promise<{ changed: SeverityField[]; severity: CaseSeverity }> {
  const now = deps.clock.now();
  const at = iso(now);
  const reason = checkReason(input.reason);
  const { changes, theCase } = input;

  const next: Partial<Inputs> = {};
  if (changes.cvssV31 !== undefined) next.cvssV31 = checkVector(changes.cvssV31, 'cvssV31', ['3.1']);
  if (changes.cvssV40 !== undefined) next.cvssV40 = checkVector(changes.cvssV40, 'cvssV40', ['4.0']);
  if (changes.cvssImported !== undefined) {
    next.cvssImported = checkVector(changes.cvssImported, 'cvssImported', ['3.0', '2.0']);
  }
  if (changes.ssvc !== undefined) next.ssvc = changes.ssvc === null ? null : parseSupplierInput(changes.ssvc);
  // One day of slack: "today" east of UTC is already tomorrow in UTC.
  if (changes.exploitation !== undefined) {
    next.exploitation = checkExploitation(changes.exploitation, iso(new Date(now.getTime() + DAY_MS)).slice(0, 10));
  }

  await lockCase(trx, theCase.id);
  const row = await findSeverityRow(trx, theCase.id);
  const before = inputsOf(row);
  const after: Inputs = { ...before, ...next };
  const changed = (Object.keys(next) as SeverityField[]).filter(
    (field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]),
  );
  const { policy } = await getSeverityPolicy(trx, theCase.projectId);
  const cweIds = await cweIdsOfCase(trx, theCase.id);
  if (changed.length === 0) return { changed, severity: view(before, row, policy, theCase, cweIds) };

  const ctx: ChangeContext = { actor: input.actor, origin: input.origin, theCase, reason };
  for (const field of changed) {
    await history(trx, at, ctx, { change: historyName[field], previous: before[field], value: after[field] });
  }
  const previousEffective = derive(before).effective;
  const { effective } = derive(after);
  const moved = previousEffective.severity !== effective.severity || previousEffective.priority !== effective.priority;
  if (moved) {
    await history(trx, at, ctx, {
      change: 'severity.effective',
      previous: { severity: previousEffective.severity, priority: previousEffective.priority },
      value: { severity: effective.severity, priority: effective.priority },
    });
  }
  await saveSeverityRow(trx, {
    case_id: theCase.id,
    project_id: theCase.projectId,
    cvss_v31: after.cvssV31,
    cvss_v40: after.cvssV40,
    cvss_imported: after.cvssImported,
    ssvc_exploitation: after.ssvc?.exploitation ?? null,
    ssvc_automatable: after.ssvc?.automatable ?? null,
    ssvc_value_density: after.ssvc?.valueDensity ?? null,
    ssvc_technical_impact: after.ssvc?.technicalImpact ?? null,
    ssvc_public_safety_impact: after.ssvc?.publicSafetyImpact ?? null,
    exploited_in_wild: after.exploitation.exploitedInTheWild ? 1 : 0,
    exploitation_source: after.exploitation.source,
    exploitation_reported_on: after.exploitation.reportedOn,
    public_exploit: after.exploitation.publicExploit ? 1 : 0,
    exposure: after.exploitation.exposure,
    effective_severity: effective.severity,
    priority: effective.priority,
    next_reminder_at: row?.next_reminder_at ?? null,
    updated_at: at,
    updated_by: input.actor.kind === 'user' ? input.actor.userId : null,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: theCase.projectId,
    action: 'case.severity.updated',
    subjectType: 'case',
    subjectId: theCase.id,
    detail: {
      number: theCase.number,
      changed,
      previous: Object.fromEntries(changed.map((f) => [f, before[f]])),
      value: Object.fromEntries(changed.map((f) => [f, after[f]])),
      effective: { previous: previousEffective.severity, value: effective.severity, priority: effective.priority },
      reason,
    },
  });
  await caseMoved(trx, deps, { caseId: theCase.id, projectId: theCase.projectId, at: now });
  const updatedRow = await findSeverityRow(trx, theCase.id);
  return { changed, severity: view(after, updatedRow, policy, theCase, cweIds) };
}

export interface CweChange {
  actor: Actor;
  origin: RequestOrigin;
  theCase: Case;
  cwe: string | number;
  /** Optional for CWEs: classifying is not a severity judgement; kept when given. */
  reason?: string;
}

async function changeCwe(trx: Trx, deps: Pick<Deps, 'clock'>, input: CweChange, add: boolean): Promise<boolean> {
  const id = parseCweId(input.cwe, { known: add });
  const at = iso(deps.clock.now());
  const reason = input.reason?.trim() ? checkReason(input.reason) : null;
  const { theCase } = input;
  await lockCase(trx, theCase.id);
  const done = add
    ? await insertCaseCwe(trx, {
        case_id: theCase.id,
        cwe_id: id,
        added_at: at,
        added_by: input.actor.kind === 'user' ? input.actor.userId : null,
      })
    : await deleteCaseCwe(trx, theCase.id, id);
  if (!done) return false;
  const entry = { id, name: findCwe(id)?.name ?? null };
  await insertHistory(trx, {
    id: newId(),
    case_id: theCase.id,
    project_id: theCase.projectId,
    at,
    actor_user_id: input.actor.kind === 'user' ? input.actor.userId : null,
    actor_label: actorLabel(input.actor),
    change: add ? 'cwe.added' : 'cwe.removed',
    previous: add ? null : JSON.stringify(entry),
    value: add ? JSON.stringify(entry) : null,
    reason,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: theCase.projectId,
    action: add ? 'case.cwe.added' : 'case.cwe.removed',
    subjectType: 'case',
    subjectId: theCase.id,
    detail: { number: theCase.number, cwe: id, ...(reason ? { reason } : {}) },
  });
  await caseMoved(trx, deps, { caseId: theCase.id, projectId: theCase.projectId, at: deps.clock.now() });
  return true;
}

/** Adds a CWE (by id, "79" or "CWE-79") to a case; false when it was already there (nothing written). */
export function addCaseCwe(trx: Trx, deps: Pick<Deps, 'clock'>, input: CweChange): Promise<boolean> {
  return changeCwe(trx, deps, input, true);
}

/** Removes a CWE from a case; false when the case did not have it (nothing written). */
export function removeCaseCwe(trx: Trx, deps: Pick<Deps, 'clock'>, input: CweChange): Promise<boolean> {
  return changeCwe(trx, deps, input, false);
}
