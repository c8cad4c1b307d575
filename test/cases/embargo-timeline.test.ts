import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/clock.js';
import { isDomainError } from '../../src/errors.js';
import { defaultEmbargoPolicy, parseEmbargoPolicy } from '../../src/domain/cases/embargo-policy.js';
import {
  checkRelease,
  formatUtc,
  parseInstant,
  planTimeline,
  proposeRelease,
} from '../../src/domain/cases/embargo-timeline.js';

const policy = defaultEmbargoPolicy;
const at = (text: string) => new Date(text);
const codeOf = (fn: () => unknown): { code: string; field: unknown } | undefined => {
  try {
    fn();
  } catch (err) {
    if (isDomainError(err)) return { code: err.code, field: err.details?.field };
    throw err;
  }
  return undefined;
};

describe('the proposed release slot', () => {
  it.each([
    ['a Thursday before 16:00', '2026-03-05T10:00:00Z', '2026-03-12T16:00:00.000Z'],
    ['a Thursday after 16:00', '2026-03-05T17:00:00Z', '2026-03-16T16:00:00.000Z'],
    ['a Thursday at 16:00 sharp', '2026-03-05T16:00:00Z', '2026-03-12T16:00:00.000Z'],
    ['a Friday', '2026-03-06T10:00:00Z', '2026-03-16T16:00:00.000Z'],
    ['a Saturday', '2026-03-07T12:00:00Z', '2026-03-16T16:00:00.000Z'],
    ['a Sunday night', '2026-03-08T23:30:00Z', '2026-03-16T16:00:00.000Z'],
    ['a Monday morning', '2026-03-02T09:00:00Z', '2026-03-09T16:00:00.000Z'],
  ])('from %s is the first Monday-to-Thursday 16:00 UTC a week ahead', (_, now, expected) => {
    expect(proposeRelease(at(now), policy).toISOString()).toBe(expected);
  });

  it('always lands on a release day at the release hour, with the full notice and at most four days more', () => {
    for (let hour = 0; hour < 14 * 24; hour += 5) {
      const now = new Date(Date.UTC(2026, 0, 1) + hour * 3_600_000);
      const slot = proposeRelease(now, policy);
      expect([1, 2, 3, 4]).toContain(slot.getUTCDay());
      expect(slot.getUTCHours()).toBe(16);
      expect(slot.getUTCMinutes()).toBe(0);
      const lead = slot.getTime() - now.getTime();
      expect(lead).toBeGreaterThanOrEqual(7 * DAY_MS);
      expect(lead).toBeLessThan(11 * DAY_MS);
    }
  });

  it('comes sooner for a critical case, and follows a project policy', () => {
    expect(proposeRelease(at('2026-03-02T09:00:00Z'), policy, 'critical').toISOString()).toBe(
      '2026-03-05T16:00:00.000Z',
    );
    expect(proposeRelease(at('2026-03-02T09:00:00Z'), policy, 'high').toISOString()).toBe('2026-03-09T16:00:00.000Z');
    const tuesdays = parseEmbargoPolicy({ releaseWeekdays: ['tue'], releaseHourUtc: 9, distributorNoticeDays: 5 });
    expect(proposeRelease(at('2026-03-02T09:00:00Z'), tuesdays).toISOString()).toBe('2026-03-10T09:00:00.000Z');
  });
});

describe('the timeline', () => {
  it('plans every notice from the release: 7 days, 3 days and 24 hours before, the retrospective 2 days after', () => {
    const t = planTimeline({ releaseAt: at('2026-03-12T16:00:00Z'), policy, notBefore: at('2026-03-02T09:00:00Z') });
    expect(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.toISOString()]))).toEqual({
      distributorNoticeAt: '2026-03-05T16:00:00.000Z',
      publicNoticeAt: '2026-03-09T16:00:00.000Z',
      prereleaseNoticeAt: '2026-03-11T16:00:00.000Z',
      releaseAt: '2026-03-12T16:00:00.000Z',
      retrospectiveAt: '2026-03-14T16:00:00.000Z',
    });
  });

  it('makes a notice whose time has passed due at once, and keeps a given distributor notice', () => {
    const now = at('2026-03-02T09:00:00Z');
    const soon = planTimeline({ releaseAt: at('2026-03-05T16:00:00Z'), policy, notBefore: now });
    expect(soon.distributorNoticeAt.toISOString()).toBe(now.toISOString());
    expect(soon.publicNoticeAt.toISOString()).toBe('2026-03-02T16:00:00.000Z');
    expect(soon.prereleaseNoticeAt.toISOString()).toBe('2026-03-04T16:00:00.000Z');
    const told = at('2026-02-27T10:00:00Z');
    expect(
      planTimeline({ releaseAt: at('2026-03-09T16:00:00Z'), policy, notBefore: now, distributorNoticeAt: told })
        .distributorNoticeAt,
    ).toEqual(told);
  });

  it('enforces the maximum embargo from the distributor notice with EMBARGO_TOO_LONG', () => {
    const now = at('2026-03-02T09:00:00Z');
    const notice = at('2026-03-02T09:00:00Z');
    expect(
      codeOf(() => checkRelease({ releaseAt: at('2026-03-16T09:00:00Z'), now, policy, distributorNoticeAt: notice })),
    ).toBe(undefined);
    expect(
      codeOf(() => checkRelease({ releaseAt: at('2026-03-16T09:00:01Z'), now, policy, distributorNoticeAt: notice })),
    ).toEqual({ code: 'EMBARGO_TOO_LONG', field: 'releaseAt' });
    expect(
      codeOf(() => checkRelease({ releaseAt: at('2026-03-02T08:00:00Z'), now, policy, distributorNoticeAt: notice })),
    ).toEqual({ code: 'VALIDATION_FAILED', field: 'releaseAt' });
    expect(
      codeOf(() =>
        checkRelease({
          releaseAt: at('2026-03-03T08:00:00Z'),
          now,
          policy,
          distributorNoticeAt: at('2026-03-04T00:00:00Z'),
        }),
      ),
    ).toEqual({ code: 'VALIDATION_FAILED', field: 'distributorNoticeAt' });
  });
});

describe('the policy and times as typed', () => {
  it('takes defaults for missing fields and refuses unknown or inconsistent ones', () => {
    expect(parseEmbargoPolicy({})).toEqual(defaultEmbargoPolicy);
    expect(parseEmbargoPolicy({ releaseWeekdays: ['thu', 'mon'] }).releaseWeekdays).toEqual(['mon', 'thu']);
    expect(codeOf(() => parseEmbargoPolicy({ maxDay: 3 }))?.field).toBe('maxDay');
    expect(codeOf(() => parseEmbargoPolicy({ maxDays: 5 }))?.field).toBe('distributorNoticeDays');
    expect(codeOf(() => parseEmbargoPolicy({ publicNoticeDays: 8 }))?.field).toBe('publicNoticeDays');
    expect(codeOf(() => parseEmbargoPolicy({ releaseHourUtc: 24 }))?.field).toBe('releaseHourUtc');
    expect(codeOf(() => parseEmbargoPolicy({ releaseWeekdays: [] }))?.field).toBe('releaseWeekdays');
    expect(codeOf(() => parseEmbargoPolicy({ releaseWeekdays: ['mon', 'mon'] }))?.field).toBe('releaseWeekdays');
    expect(codeOf(() => parseEmbargoPolicy([]))?.code).toBe('VALIDATION_FAILED');
  });

  it('reads a time without a zone as UTC, honours an offset and refuses impossible dates', () => {
    expect(parseInstant('2026-03-12T16:00', 'releaseAt').toISOString()).toBe('2026-03-12T16:00:00.000Z');
    expect(parseInstant('2026-03-12 16:00', 'releaseAt').toISOString()).toBe('2026-03-12T16:00:00.000Z');
    expect(parseInstant('2026-03-12T18:00:00+02:00', 'releaseAt').toISOString()).toBe('2026-03-12T16:00:00.000Z');
    expect(parseInstant('2026-03-12T16:00:00.000Z', 'releaseAt').toISOString()).toBe('2026-03-12T16:00:00.000Z');
    for (const bad of ['', 'tomorrow', '2026-02-30T16:00', '2026-03-12T24:00', '2026-13-01T10:00']) {
      expect(codeOf(() => parseInstant(bad, 'releaseAt'))).toEqual({ code: 'VALIDATION_FAILED', field: 'releaseAt' });
    }
    expect(formatUtc(at('2026-03-12T16:00:00Z'))).toBe('2026-03-12 16:00 UTC');
  });
});
