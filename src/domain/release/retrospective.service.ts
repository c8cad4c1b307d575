import { DAY_MS, HOUR_MS, iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import type { Case } from '../cases/cases.js';
import { historyOfCase, insertHistory, lockCase } from '../cases/cases.repository.js';
import { formatUtc } from '../cases/embargo-timeline.js';
import type { EmbargoRow } from '../cases/embargo.repository.js';
import { getEmbargoPolicy } from '../cases/embargo.service.js';
import { caseNotices } from '../distributors/notices.service.js';
import { newId } from '../ids.js';
import { getProjectById } from '../projects/projects.service.js';
import { caseSeverity } from '../severity/case-severity.service.js';

// The blameless retrospective, drafted by the timeline's last step (release + retrospectiveDays):
// the case's timeline from the report to the release, filled in from what was recorded, and how
// each clock came out (acknowledgement, fix deadline, distributor notice, embargo length), with
// headings for the team to write under. The team edits it on the case page afterwards.

export interface Retrospective {
  caseId: string;
  body: string;
  draftedAt: string;
  updatedAt: string;
}

const BODY_MAX = 50_000;

function duration(ms: number): string {
  if (ms < HOUR_MS) return `${Math.max(0, Math.round(ms / 60_000))} min`;
  if (ms < 2 * DAY_MS) return `${Math.round((ms / HOUR_MS) * 10) / 10} h`;
  return `${Math.round((ms / DAY_MS) * 10) / 10} days`;
}

const t = (at: string) => formatUtc(new Date(at));
const parsed = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** The draft's text, from the case as recorded. */
export async function draftRetrospective(
  db: DbOrTrx,
  deps: Pick<Deps, 'clock'>,
  input: { theCase: Case; embargo: EmbargoRow },
): Promise<string> {
  const { theCase, embargo } = input;
  const project = await getProjectById(db, theCase.projectId);
  const reports = await db
    .selectFrom('reports')
    .select(['tracking_id', 'received_at', 'acknowledged_at', 'ack_due_at'])
    .where('case_id', '=', theCase.id)
    .orderBy('received_at')
    .execute();
  const history = [...(await historyOfCase(db, theCase.id))].reverse();
  const first = (test: (h: (typeof history)[number]) => boolean) => history.find(test)?.at ?? null;
  const events: { at: string; what: string }[] = [];
  for (const r of reports) {
    events.push({ at: r.received_at, what: `Report ${r.tracking_id} received` });
    if (r.acknowledged_at) events.push({ at: r.acknowledged_at, what: `Report ${r.tracking_id} acknowledged` });
  }
  events.push({ at: theCase.createdAt, what: 'Case opened (report accepted)' });
  const lead = first((h) => h.change === 'fix.lead');
  if (lead) events.push({ at: lead, what: 'Fix Team formed (Fix Lead named)' });
  const ready = first((h) => h.change === 'state' && parsed(h.value) === 'fix_ready');
  if (ready) events.push({ at: ready, what: 'Fix ready (every affected branch has an approved patch)' });
  const scheduled = first((h) => h.change === 'state' && parsed(h.value) === 'scheduled');
  if (scheduled) events.push({ at: scheduled, what: 'Release scheduled, embargo in force' });
  for (const h of history.filter((e) => e.change === 'embargo.revised')) {
    events.push({
      at: h.at,
      what: `Release moved to ${t(String(parsed(h.value)))}${h.reason ? ` (${h.reason})` : ''}`,
    });
  }
  const broken = first((h) => h.change === 'embargo.broken');
  if (broken) events.push({ at: broken, what: 'Embargo broken: release expedited' });
  const notices = await caseNotices(db, theCase.id);
  const recipients = notices.flatMap((n) => n.recipients);
  if (embargo.distributor_notice_done_at) {
    events.push({
      at: embargo.distributor_notice_done_at,
      what: `Distributors notified: ${notices.length} organisations, ${recipients.length} recipients`,
    });
  }
  if (embargo.public_notice_done_at)
    events.push({ at: embargo.public_notice_done_at, what: '"Fix forthcoming" notice published' });
  if (embargo.prerelease_notice_done_at) {
    events.push({ at: embargo.prerelease_notice_done_at, what: '24-hour notice sent to distributors' });
  }
  if (embargo.released_at) events.push({ at: embargo.released_at, what: 'Released: the advisory is public' });
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));

  const clocks: string[] = [];
  for (const r of reports) {
    if (!r.acknowledged_at) {
      clocks.push(`- Acknowledgement of ${r.tracking_id}: never acknowledged.`);
      continue;
    }
    const took = Date.parse(r.acknowledged_at) - Date.parse(r.received_at);
    const met = r.acknowledged_at <= r.ack_due_at;
    clocks.push(
      `- Acknowledgement of ${r.tracking_id}: after ${duration(took)}, target ${t(r.ack_due_at)}: ${met ? 'met' : `missed by ${duration(Date.parse(r.acknowledged_at) - Date.parse(r.ack_due_at))}`}.`,
    );
  }
  const severity = await caseSeverity(db, theCase);
  const releasedAt = embargo.released_at ?? iso(deps.clock.now());
  if (severity.targets.fixDue) {
    const due = iso(severity.targets.fixDue);
    clocks.push(
      `- Fix deadline (${severity.effective.severity}): due ${t(due)}, released ${t(releasedAt)}: ${releasedAt <= due ? 'met' : `missed by ${duration(Date.parse(releasedAt) - Date.parse(due))}`}.`,
    );
  } else {
    clocks.push('- Fix deadline: the case had no severity, so no deadline was set.');
  }
  const policy = await getEmbargoPolicy(db, theCase.projectId);
  if (embargo.distributor_notice_done_at) {
    const lead = Date.parse(releasedAt) - Date.parse(embargo.distributor_notice_done_at);
    clocks.push(
      `- Distributor notice: ${duration(lead)} before the release (policy: ${policy.distributorNoticeDays} days; at most ${policy.maxDays}): ${lead <= policy.maxDays * DAY_MS ? 'within the maximum embargo' : 'longer than the maximum embargo'}.`,
    );
    const acked = recipients.filter((r) => r.acknowledgedAt).length;
    clocks.push(`- Acknowledgements: ${acked} of ${recipients.length} recipients acknowledged receipt.`);
  } else {
    clocks.push('- Distributor notice: no distributor was notified.');
  }
  clocks.push(
    broken
      ? '- Embargo: broken before the planned release.'
      : `- Embargo: held until the release${history.some((h) => h.change === 'embargo.revised') ? ', after revisions' : ''}.`,
  );

  return `# Retrospective: case #${theCase.number} of ${project?.name ?? 'the project'}

This review is blameless: it looks at what happened and at what the process can do better, not at who did what.

## Timeline (UTC)

| When | What |
| --- | --- |
${events.map((e) => `| ${t(e.at)} | ${e.what.replace(/\|/g, '\\|')} |`).join('\n')}

## Clocks

${clocks.join('\n')}

## What went well

## What could have gone better

## Action items

- [ ] 
`;
}

/** Stores the draft (for the retrospective step, under the case's lock). Once: a second call changes nothing. */
export async function storeRetrospectiveDraft(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { theCase: Case; embargo: EmbargoRow },
): Promise<boolean> {
  const existing = await trx
    .selectFrom('retrospectives')
    .select('case_id')
    .where('case_id', '=', input.theCase.id)
    .executeTakeFirst();
  if (existing) return false;
  const at = iso(deps.clock.now());
  await trx
    .insertInto('retrospectives')
    .values({
      case_id: input.theCase.id,
      project_id: input.theCase.projectId,
      body: await draftRetrospective(trx, deps, input),
      drafted_at: at,
      updated_at: at,
      updated_by: null,
    })
    .execute();
  return true;
}

export async function getRetrospective(db: DbOrTrx, caseId: string): Promise<Retrospective | null> {
  const row = await db.selectFrom('retrospectives').selectAll().where('case_id', '=', caseId).executeTakeFirst();
  return row ? { caseId: row.case_id, body: row.body, draftedAt: row.drafted_at, updatedAt: row.updated_at } : null;
}

/** The team's edit of the retrospective (NOT_FOUND before it is drafted). */
export async function saveRetrospective(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { actor: Actor; origin: RequestOrigin; theCase: Pick<Case, 'id' | 'projectId' | 'number'>; body: string },
): Promise<Retrospective> {
  const body = input.body.replace(/\r\n?/g, '\n').trim();
  if (!body || body.length > BODY_MAX) {
    throw new DomainError('VALIDATION_FAILED', `The retrospective is 1 to ${BODY_MAX} characters.`, { field: 'body' });
  }
  await lockCase(trx, input.theCase.id);
  const existing = await getRetrospective(trx, input.theCase.id);
  if (!existing) throw new DomainError('NOT_FOUND', 'The retrospective is drafted after the release.');
  if (existing.body === body) return existing;
  const at = iso(deps.clock.now());
  await trx
    .updateTable('retrospectives')
    .set({ body, updated_at: at, updated_by: input.actor.kind === 'user' ? input.actor.userId : null })
    .where('case_id', '=', input.theCase.id)
    .execute();
  await insertHistory(trx, {
    id: newId(),
    case_id: input.theCase.id,
    project_id: input.theCase.projectId,
    at,
    actor_user_id: input.actor.kind === 'user' ? input.actor.userId : null,
    actor_label: actorLabel(input.actor),
    change: 'retrospective.edited',
    previous: null,
    value: null,
    reason: null,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: input.theCase.projectId,
    action: 'case.retrospective_edited',
    subjectType: 'case',
    subjectId: input.theCase.id,
    detail: { number: input.theCase.number },
  });
  return { ...existing, body, updatedAt: at };
}
