import { DomainError } from '../../errors.js';

/*
 * A project's embargo policy: how long an embargo may last and when its notices go out.
 *
 * - maxDays: the longest embargo, counted from the distributor notice to the release (14 days, as
 *   the linux-distros list allows). A release planned later is refused with EMBARGO_TOO_LONG.
 * - distributorNoticeDays: distributors are told this many days before the release (7).
 * - criticalNoticeDays: for a case of critical effective severity the proposed release is the first
 *   slot this many days ahead (3) instead of distributorNoticeDays: the distributors then hear at once.
 * - publicNoticeDays: the public "fix forthcoming" notice (date, severity, affected components, no
 *   details) goes out this many days before the release (3): after the distributors had four days to
 *   prepare, early enough for users to plan the upgrade.
 * - prereleaseNoticeHours: the last notice to distributors before the release (24).
 * - retrospectiveDays: the retrospective is held this many days after the release (2).
 * - releaseHourUtc and releaseWeekdays: the usual release slot, 16:00 UTC Monday to Thursday, when
 *   Europe and the Americas are both at work and a weekend does not follow.
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface EmbargoPolicy {
  maxDays: number;
  distributorNoticeDays: number;
  criticalNoticeDays: number;
  publicNoticeDays: number;
  prereleaseNoticeHours: number;
  retrospectiveDays: number;
  releaseHourUtc: number;
  releaseWeekdays: Weekday[];
}

export const defaultEmbargoPolicy: EmbargoPolicy = {
  maxDays: 14,
  distributorNoticeDays: 7,
  criticalNoticeDays: 3,
  publicNoticeDays: 3,
  prereleaseNoticeHours: 24,
  retrospectiveDays: 2,
  releaseHourUtc: 16,
  releaseWeekdays: ['mon', 'tue', 'wed', 'thu'],
};

const KEYS = Object.keys(defaultEmbargoPolicy) as (keyof EmbargoPolicy)[];
/** An upper bound for every count of days: a policy of a year's embargo is a typo. */
const MAX_POLICY_DAYS = 90;

function fail(field: string, message: string): never {
  throw new DomainError('VALIDATION_FAILED', message, { field });
}

function whole(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `${field} must be a whole number from ${min} to ${max}.`);
  }
  return value;
}

/**
 * Checks a whole policy (unknown: a stored or submitted JSON value); VALIDATION_FAILED names the
 * first field at fault. Missing fields take their defaults; unknown fields are refused.
 */
export function parseEmbargoPolicy(raw: unknown): EmbargoPolicy {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('policy', 'The policy must be an object.');
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(KEYS as string[]).includes(key)) fail(key, `Unknown policy field ${key}.`);
  }
  const d = defaultEmbargoPolicy;
  const maxDays = whole(o.maxDays ?? d.maxDays, 'maxDays', 1, MAX_POLICY_DAYS);
  const distributorNoticeDays = whole(
    o.distributorNoticeDays ?? d.distributorNoticeDays,
    'distributorNoticeDays',
    1,
    maxDays,
  );
  const criticalNoticeDays = whole(
    o.criticalNoticeDays ?? d.criticalNoticeDays,
    'criticalNoticeDays',
    1,
    distributorNoticeDays,
  );
  // The public hears after the distributors, never before.
  const publicNoticeDays = whole(
    o.publicNoticeDays ?? d.publicNoticeDays,
    'publicNoticeDays',
    0,
    distributorNoticeDays,
  );
  const prereleaseNoticeHours = whole(
    o.prereleaseNoticeHours ?? d.prereleaseNoticeHours,
    'prereleaseNoticeHours',
    1,
    distributorNoticeDays * 24,
  );
  const retrospectiveDays = whole(o.retrospectiveDays ?? d.retrospectiveDays, 'retrospectiveDays', 0, MAX_POLICY_DAYS);
  const releaseHourUtc = whole(o.releaseHourUtc ?? d.releaseHourUtc, 'releaseHourUtc', 0, 23);
  const days = o.releaseWeekdays ?? d.releaseWeekdays;
  if (
    !Array.isArray(days) ||
    days.length === 0 ||
    days.some((day) => !(WEEKDAYS as readonly unknown[]).includes(day)) ||
    new Set(days).size !== days.length
  ) {
    fail('releaseWeekdays', `releaseWeekdays must list one or more distinct days of: ${WEEKDAYS.join(', ')}.`);
  }
  // Kept in week order, so that two equal policies store the same text.
  const releaseWeekdays = WEEKDAYS.filter((day) => (days as string[]).includes(day));
  return {
    maxDays,
    distributorNoticeDays,
    criticalNoticeDays,
    publicNoticeDays,
    prereleaseNoticeHours,
    retrospectiveDays,
    releaseHourUtc,
    releaseWeekdays,
  };
}
