import { DAY_MS, HOUR_MS } from '../../clock.js';
import { DomainError } from '../../errors.js';
import type { Severity } from '../severity/effective-severity.js';
import { type EmbargoPolicy, WEEKDAYS } from './embargo-policy.js';

/*
 * An embargo's timeline, from its release time and the project's policy (embargo-policy.ts):
 *
 *   distributor notice --- public "fix forthcoming" notice --- pre-release notice --- RELEASE --- retrospective
 *   release - 7 days        release - 3 days                    release - 24 hours               release + 2 days
 *
 * A notice whose time has already passed when the timeline is planned is due at once (`notBefore`):
 * a release planned sooner than the notice periods still gets every notice, in order.
 */

export interface EmbargoTimeline {
  distributorNoticeAt: Date;
  publicNoticeAt: Date;
  prereleaseNoticeAt: Date;
  releaseAt: Date;
  retrospectiveAt: Date;
}

const later = (a: Date, b: Date): Date => (a.getTime() >= b.getTime() ? a : b);

/**
 * The release slot proposed for an embargo planned at `now`: the first release weekday at
 * releaseHourUtc at least distributorNoticeDays ahead, so distributors get their full notice; for a
 * case of critical effective severity, at least criticalNoticeDays ahead instead.
 */
export function proposeRelease(now: Date, policy: EmbargoPolicy, severity?: Severity): Date {
  const noticeDays = severity === 'critical' ? policy.criticalNoticeDays : policy.distributorNoticeDays;
  const earliest = new Date(now.getTime() + noticeDays * DAY_MS);
  const slot = new Date(
    Date.UTC(earliest.getUTCFullYear(), earliest.getUTCMonth(), earliest.getUTCDate(), policy.releaseHourUtc),
  );
  if (slot.getTime() < earliest.getTime()) slot.setUTCDate(slot.getUTCDate() + 1);
  // The policy names at least one weekday, so a week always holds a slot.
  for (let i = 0; i < 7 && !policy.releaseWeekdays.includes(WEEKDAYS[slot.getUTCDay()] ?? 'sun'); i++) {
    slot.setUTCDate(slot.getUTCDate() + 1);
  }
  return slot;
}

/**
 * The notices around `releaseAt`. `distributorNoticeAt`, when given, is kept as is (the distributors
 * were told then, or the team chose the time); the others follow the policy, none before `notBefore`.
 */
export function planTimeline(input: {
  releaseAt: Date;
  policy: EmbargoPolicy;
  notBefore: Date;
  distributorNoticeAt?: Date | null;
}): EmbargoTimeline {
  const { releaseAt, policy, notBefore } = input;
  const before = (ms: number) => later(new Date(releaseAt.getTime() - ms), notBefore);
  return {
    distributorNoticeAt: input.distributorNoticeAt ?? before(policy.distributorNoticeDays * DAY_MS),
    publicNoticeAt: before(policy.publicNoticeDays * DAY_MS),
    prereleaseNoticeAt: before(policy.prereleaseNoticeHours * HOUR_MS),
    releaseAt,
    retrospectiveAt: new Date(releaseAt.getTime() + policy.retrospectiveDays * DAY_MS),
  };
}

/**
 * Refuses a release time: VALIDATION_FAILED when it is not after `now` or not after the distributor
 * notice; EMBARGO_TOO_LONG when it is more than the policy's maxDays after the distributor notice.
 */
export function checkRelease(input: {
  releaseAt: Date;
  now: Date;
  policy: EmbargoPolicy;
  distributorNoticeAt: Date;
}): void {
  const { releaseAt, now, policy, distributorNoticeAt } = input;
  if (releaseAt.getTime() <= now.getTime()) {
    throw new DomainError('VALIDATION_FAILED', 'The release time must be in the future.', { field: 'releaseAt' });
  }
  if (distributorNoticeAt.getTime() >= releaseAt.getTime()) {
    throw new DomainError('VALIDATION_FAILED', 'The distributor notice must come before the release.', {
      field: 'distributorNoticeAt',
    });
  }
  const latest = new Date(distributorNoticeAt.getTime() + policy.maxDays * DAY_MS);
  if (releaseAt.getTime() > latest.getTime()) {
    throw new DomainError(
      'EMBARGO_TOO_LONG',
      `The embargo may last at most ${policy.maxDays} days after the distributor notice ` +
        `(${formatUtc(distributorNoticeAt)}): release by ${formatUtc(latest)} at the latest.`,
      { field: 'releaseAt', maxDays: policy.maxDays, latestReleaseAt: latest.toISOString() },
    );
  }
}

/**
 * A release time as typed: ISO-8601 with a zone (`2026-03-12T16:00:00Z`, `+02:00`), or without one
 * (`2026-03-12T16:00`, a datetime-local field), which is read as UTC. VALIDATION_FAILED otherwise.
 */
export function parseInstant(text: string, field: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/i.exec(
    text.trim(),
  );
  const refuse = (): never => {
    throw new DomainError('VALIDATION_FAILED', 'Give the time as YYYY-MM-DD HH:MM in UTC.', { field });
  };
  if (!match) return refuse();
  const [y, mo, d, h, mi, sec] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Day 0 of the next month is the last day of this one: refuses 2026-02-30 instead of rolling over.
  const lastDay = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > lastDay || h > 23 || mi > 59 || sec > 59) refuse();
  const zone = match[7] ?? 'Z';
  const offsetMin = /^z$/i.test(zone)
    ? 0
    : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
  return new Date(Date.UTC(y, mo - 1, d, h, mi, sec) - offsetMin * 60_000);
}

/** "2026-03-12 16:00 UTC": how every page writes a UTC instant. */
export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
