import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { newId } from '../ids.js';
import { caseMoved } from '../severity/case-reminders.js';
import { insertHistory, lockCase } from './cases.repository.js';
import type { User } from '../users/users.js';
import { toUser } from '../users/users.repository.js';
import { notifyCaseProgress } from './case-progress.js';
import { type CaseState, isEmbargoedState } from './case-state.js';
import { transitionCase } from './case-transitions.service.js';
import type { Case } from './cases.js';
import { findCaseRow } from './cases.repository.js';
import {
  availableMemberRows,
  deleteTeamMember,
  enabledMemberRow,
  everHadLead,
  insertTeamMember,
  leadHistoryOfProject,
  lockProjectForLeads,
  type PersonRow,
  personRow,
  teamRows,
  updateAway,
  updateFixLead,
} from './fix-team.repository.js';

// The Fix Team of a case: a Fix Lead (who is also the case's owner, so reminders reach them) and the
// project members working on the fix with them.
//
// Round-robin: the Fix Lead proposed for a new case is the available member (enabled, not away) who
// was made Fix Lead of one of the project's cases least recently, someone never made lead first of
// all; ties go by name, then email. "Made lead" is read from the append-only case history ('fix.lead'
// entries, whose value names the new lead), not from a counter: it survives restarts, agrees across
// processes, and a lead later replaced still counts as having had their turn.

type TeamDeps = Pick<Deps, 'clock' | 'config'>;

/** How a person appears in the team, in history entries and in the API. */
export interface TeamPerson {
  id: string;
  name: string;
  email: string;
  away: boolean;
}

export interface CaseTeam {
  lead: TeamPerson | null;
  /** Everyone on the team, the lead included, by name. */
  members: TeamPerson[];
  /** The round-robin proposal, only while the case has no lead. */
  proposed: { id: string; name: string } | null;
}

interface TeamChange {
  actor: Actor;
  origin: RequestOrigin;
  theCase: Pick<Case, 'id' | 'projectId'>;
}

const REASON_MAX = 2000;

const person = (row: PersonRow): TeamPerson => ({ id: row.id, name: row.name, email: row.email, away: row.away === 1 });
/** Stored in the history: the id for the round-robin, the name for readers. */
const historyValue = (row: Pick<PersonRow, 'id' | 'name'>) => JSON.stringify({ id: row.id, name: row.name });
const byNameThenEmail = (a: { name: string; email: string }, b: { name: string; email: string }) =>
  a.name.localeCompare(b.name, 'en') || (a.email < b.email ? -1 : a.email > b.email ? 1 : 0);

function leadIdOf(value: string | null): string | undefined {
  try {
    const parsed: unknown = value ? JSON.parse(value) : null;
    if (parsed && typeof parsed === 'object' && 'id' in parsed && typeof parsed.id === 'string') return parsed.id;
  } catch {
    // A malformed entry names nobody: it cannot hold anyone's turn.
  }
  return undefined;
}

/** The member round-robin proposes as Fix Lead of the project's next case, or null when nobody is available. */
export async function proposeFixLead(db: DbOrTrx, projectId: string): Promise<User | null> {
  const candidates = await availableMemberRows(db, projectId);
  if (candidates.length === 0) return null;
  const lastLed = new Map<string, string>();
  for (const entry of await leadHistoryOfProject(db, projectId)) {
    const id = leadIdOf(entry.value);
    const seen = id ? lastLed.get(id) : undefined;
    if (id && (seen === undefined || entry.at > seen)) lastLed.set(id, entry.at);
  }
  const sorted = [...candidates].sort((a, b) => {
    const la = lastLed.get(a.id);
    const lb = lastLed.get(b.id);
    if (la !== lb) {
      if (la === undefined) return -1;
      if (lb === undefined) return 1;
      return la < lb ? -1 : 1;
    }
    return byNameThenEmail(a, b);
  });
  const first = sorted[0];
  return first ? toUser(first) : null;
}

async function requireEnabledMember(db: DbOrTrx, projectId: string, userId: string): Promise<PersonRow> {
  const row = await enabledMemberRow(db, projectId, userId);
  if (!row) {
    throw new DomainError('VALIDATION_FAILED', 'Choose an enabled member of this project.', { field: 'userId' });
  }
  return row;
}

async function lockedCase(trx: Trx, theCase: TeamChange['theCase']) {
  await lockCase(trx, theCase.id);
  const row = await findCaseRow(trx, { projectId: theCase.projectId, id: theCase.id });
  if (!row) throw new DomainError('NOT_FOUND', 'No such case.');
  return row;
}

const actorUserId = (actor: Actor) => (actor.kind === 'user' ? actor.userId : null);

export interface SetFixLeadInput extends TeamChange {
  /** A member's id, or 'proposed' for the round-robin proposal at this moment. */
  userId: string;
  reason?: string | null;
}

/**
 * Makes a member the case's Fix Lead and owner (overriding the proposal is choosing someone else),
 * adding them to the team. A case in triage moves to fix_in_progress. The case's first lead ever
 * forms the Fix Team: its reporters are told, once (unless the case is already published or closed).
 * Setting the current lead again changes nothing.
 */
export async function setFixLead(trx: Trx, deps: TeamDeps, input: SetFixLeadInput): Promise<CaseTeam> {
  const reason = input.reason?.trim() || null;
  if (reason && reason.length > REASON_MAX) {
    throw new DomainError('VALIDATION_FAILED', `The reason is longer than ${REASON_MAX} characters.`, {
      field: 'reason',
    });
  }
  const proposed = input.userId === 'proposed';
  let userId = input.userId;
  // The project lock before the case lock (the order accepting a report takes them in), on both
  // paths: a proposal and a hand-picked lead in the same project then see each other's choice.
  await lockProjectForLeads(trx, input.theCase.projectId);
  if (proposed) {
    const choice = await proposeFixLead(trx, input.theCase.projectId);
    if (!choice) {
      throw new DomainError('VALIDATION_FAILED', 'Nobody is available: every member is away or disabled.', {
        field: 'userId',
      });
    }
    userId = choice.id;
  }
  const lead = await requireEnabledMember(trx, input.theCase.projectId, userId);
  const row = await lockedCase(trx, input.theCase);
  if (row.fix_lead_id === lead.id) return caseTeam(trx, row.id);

  const now = deps.clock.now();
  const at = iso(now);
  const previous = row.fix_lead_id ? await personRow(trx, row.fix_lead_id) : undefined;
  // The team forms with the case's first lead ever; the reporter hears of it only while it matters.
  const forms = !(await everHadLead(trx, row.id)) && isEmbargoedState(row.state as CaseState);
  await updateFixLead(trx, row.id, lead.id);
  await insertTeamMember(trx, { case_id: row.id, user_id: lead.id, added_at: at, added_by: actorUserId(input.actor) });
  await insertHistory(trx, {
    id: newId(),
    case_id: row.id,
    project_id: row.project_id,
    at,
    actor_user_id: actorUserId(input.actor),
    actor_label: actorLabel(input.actor),
    change: 'fix.lead',
    previous: previous ? historyValue(previous) : null,
    value: historyValue(lead),
    reason,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: row.project_id,
    action: 'case.fix-lead.set',
    subjectType: 'case',
    subjectId: row.id,
    detail: { number: row.number, userId: lead.id, previousUserId: row.fix_lead_id, proposed },
  });
  if (row.state === 'triage') {
    // transitionCase records the state change and restarts the reminder clock.
    const { actor, origin, theCase } = input;
    await transitionCase(trx, deps, { actor, origin, theCase, action: 'start_fix' });
  } else {
    await caseMoved(trx, deps, { caseId: row.id, projectId: row.project_id, at: now });
  }
  if (forms) await notifyCaseProgress(trx, deps, { caseId: row.id, milestone: 'fix-team-formed' });
  return caseTeam(trx, row.id);
}

export interface TeamMemberInput extends TeamChange {
  userId: string;
}

/** Adds an enabled project member to the case's Fix Team; false when already on it. */
export async function addTeamMember(trx: Trx, deps: TeamDeps, input: TeamMemberInput): Promise<boolean> {
  const member = await requireEnabledMember(trx, input.theCase.projectId, input.userId);
  const row = await lockedCase(trx, input.theCase);
  const now = deps.clock.now();
  const at = iso(now);
  const by = actorUserId(input.actor);
  if (!(await insertTeamMember(trx, { case_id: row.id, user_id: member.id, added_at: at, added_by: by }))) {
    return false;
  }
  await teamChanged(trx, deps, input, { row, now, change: 'fix.team.added', person: member });
  return true;
}

/** Removes someone from the case's Fix Team; the lead stays until another lead is set. False when not on it. */
export async function removeTeamMember(trx: Trx, deps: TeamDeps, input: TeamMemberInput): Promise<boolean> {
  const row = await lockedCase(trx, input.theCase);
  if (row.fix_lead_id === input.userId) {
    throw new DomainError('VALIDATION_FAILED', 'The Fix Lead stays on the team: make someone else the lead first.', {
      field: 'userId',
    });
  }
  const gone = await personRow(trx, input.userId);
  if (!gone || !(await deleteTeamMember(trx, row.id, input.userId))) return false;
  await teamChanged(trx, deps, input, { row, now: deps.clock.now(), change: 'fix.team.removed', person: gone });
  return true;
}

async function teamChanged(
  trx: Trx,
  deps: TeamDeps,
  input: TeamChange,
  c: {
    row: { id: string; project_id: string; number: number };
    now: Date;
    change: 'fix.team.added' | 'fix.team.removed';
    person: PersonRow;
  },
): Promise<void> {
  const added = c.change === 'fix.team.added';
  await insertHistory(trx, {
    id: newId(),
    case_id: c.row.id,
    project_id: c.row.project_id,
    at: iso(c.now),
    actor_user_id: actorUserId(input.actor),
    actor_label: actorLabel(input.actor),
    change: c.change,
    previous: added ? null : historyValue(c.person),
    value: added ? historyValue(c.person) : null,
    reason: null,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: c.row.project_id,
    action: added ? 'case.team.added' : 'case.team.removed',
    subjectType: 'case',
    subjectId: c.row.id,
    detail: { number: c.row.number, userId: c.person.id },
  });
  await caseMoved(trx, deps, { caseId: c.row.id, projectId: c.row.project_id, at: c.now });
}

/** The case's Fix Lead, team and (while it has no lead) the round-robin proposal. No audit: names only. */
export async function caseTeam(db: DbOrTrx, caseId: string): Promise<CaseTeam> {
  const theCase = await db
    .selectFrom('cases')
    .select(['project_id', 'fix_lead_id'])
    .where('id', '=', caseId)
    .executeTakeFirst();
  if (!theCase) throw new DomainError('NOT_FOUND', 'No such case.');
  const members = (await teamRows(db, caseId)).map(person).sort(byNameThenEmail);
  const leadId = theCase.fix_lead_id;
  let lead = leadId ? (members.find((m) => m.id === leadId) ?? null) : null;
  if (leadId && !lead) {
    // A lead set before they were on the team (not done by this service) is still the lead.
    const row = await personRow(db, leadId);
    lead = row ? person(row) : null;
  }
  const proposal = lead ? null : await proposeFixLead(db, theCase.project_id);
  return { lead, members, proposed: proposal ? { id: proposal.id, name: proposal.name } : null };
}

/**
 * Marks the signed-in account away (skipped by the Fix Lead round-robin) or back. Audited as
 * 'user.away' or 'user.back'; false when it already was in that state (nothing recorded).
 */
export async function setAway(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { actor: Extract<Actor, { kind: 'user' }>; origin: RequestOrigin; away: boolean },
): Promise<boolean> {
  if (!(await updateAway(trx, input.actor.userId, input.away, iso(deps.clock.now())))) return false;
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: null,
    action: input.away ? 'user.away' : 'user.back',
    subjectType: 'user',
    subjectId: input.actor.userId,
  });
  return true;
}
