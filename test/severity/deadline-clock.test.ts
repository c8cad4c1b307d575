import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/errors.js';
import { addPeriod, reminderInterval, type Shutdown } from '../../src/domain/severity/deadline-clock.js';

const holidays: Shutdown[] = [{ from: '12-24', to: '01-02' }];
const at = (iso: string): Date => new Date(iso);

function failure(run: () => unknown): DomainError {
  try {
    run();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('addPeriod', () => {
  it('counts calendar days through a weekend and keeps the time of day', () => {
    // Thursday 2024-03-07 + 3 calendar days = Sunday.
    expect(addPeriod(at('2024-03-07T15:30:00Z'), { days: 3, mode: 'calendar' })).toEqual(at('2024-03-10T15:30:00Z'));
  });

  it('skips Saturday and Sunday in business mode', () => {
    expect(addPeriod(at('2024-03-07T15:30:00Z'), { days: 3, mode: 'business' })).toEqual(at('2024-03-12T15:30:00Z'));
    expect(addPeriod(at('2024-03-09T08:00:00Z'), { days: 1, mode: 'business' })).toEqual(at('2024-03-11T08:00:00Z'));
  });

  it('returns the start itself for zero days on a counting day, else the next counting day', () => {
    expect(addPeriod(at('2024-03-06T10:00:00Z'), { days: 0, mode: 'business' })).toEqual(at('2024-03-06T10:00:00Z'));
    expect(addPeriod(at('2024-03-09T10:00:00Z'), { days: 0, mode: 'calendar' })).toEqual(at('2024-03-09T10:00:00Z'));
    expect(addPeriod(at('2024-03-09T10:00:00Z'), { days: 0, mode: 'business' })).toEqual(at('2024-03-11T10:00:00Z'));
    expect(addPeriod(at('2024-12-27T10:00:00Z'), { days: 0, mode: 'calendar', shutdowns: holidays })).toEqual(
      at('2025-01-03T10:00:00Z'),
    );
  });

  it('does not count shutdown days across the new year in calendar mode', () => {
    // Dec 21, 22, 23 count; Dec 24 to Jan 2 do not; Jan 3, 4, 5, 6 count.
    expect(addPeriod(at('2024-12-20T09:00:00Z'), { days: 7, mode: 'calendar', shutdowns: holidays })).toEqual(
      at('2025-01-06T09:00:00Z'),
    );
    // Never lands inside the shutdown: the second day after Dec 22 is Jan 3.
    expect(addPeriod(at('2024-12-22T09:00:00Z'), { days: 2, mode: 'calendar', shutdowns: holidays })).toEqual(
      at('2025-01-03T09:00:00Z'),
    );
  });

  it('counts business days across a shutdown', () => {
    // From Friday Dec 20: Mon 23 (1), shutdown, Fri Jan 3 (2), Mon 6 (3), Tue 7 (4), Wed 8 (5).
    expect(addPeriod(at('2024-12-20T09:00:00Z'), { days: 5, mode: 'business', shutdowns: holidays })).toEqual(
      at('2025-01-08T09:00:00Z'),
    );
  });

  it('moves a Friday deadline forward to Monday only when asked', () => {
    const from = at('2024-03-04T10:00:00Z'); // Monday
    expect(addPeriod(from, { days: 4, mode: 'business' })).toEqual(at('2024-03-08T10:00:00Z'));
    expect(addPeriod(from, { days: 4, mode: 'business', noFridayDeadline: true })).toEqual(at('2024-03-11T10:00:00Z'));
    expect(addPeriod(from, { days: 4, mode: 'calendar', noFridayDeadline: true })).toEqual(at('2024-03-11T10:00:00Z'));
  });

  it('moves a Friday deadline past a shutdown that covers the next Monday', () => {
    // Friday 2022-12-23; Monday 26 is in the shutdown; the first working day after it is Tuesday 2023-01-03.
    const options = { days: 4, mode: 'business', shutdowns: holidays, noFridayDeadline: true } as const;
    expect(addPeriod(at('2022-12-19T10:00:00Z'), options)).toEqual(at('2023-01-03T10:00:00Z'));
  });

  it('reads weekdays in the project time zone, not in UTC', () => {
    // Friday 23:30 UTC is already Saturday 12:30 in Auckland (UTC+13): the next business day there is Monday.
    const from = at('2024-03-08T23:30:00Z');
    expect(addPeriod(from, { days: 1, mode: 'business' })).toEqual(at('2024-03-11T23:30:00Z'));
    expect(addPeriod(from, { days: 1, mode: 'business', timeZone: 'Pacific/Auckland' })).toEqual(
      at('2024-03-10T23:30:00Z'),
    );
  });

  it('keeps the local time of day across a daylight-saving change', () => {
    // Saturday 03:00 UTC is Friday 19:00 in Los Angeles; DST starts Sunday 2024-03-10, so Monday 19:00 is PDT.
    expect(
      addPeriod(at('2024-03-09T03:00:00Z'), { days: 1, mode: 'business', timeZone: 'America/Los_Angeles' }),
    ).toEqual(at('2024-03-12T02:00:00Z'));
  });

  it.each([
    ['negative days', { days: -1, mode: 'calendar' }, 'days'],
    ['fractional days', { days: 1.5, mode: 'calendar' }, 'days'],
    ['a bad shutdown date', { days: 1, mode: 'calendar', shutdowns: [{ from: '13-01', to: '01-02' }] }, 'from'],
    ['an unknown time zone', { days: 1, mode: 'calendar', timeZone: 'Mars/Olympus' }, 'timeZone'],
    [
      'a shutdown over the whole year',
      { days: 1, mode: 'calendar', shutdowns: [{ from: '01-01', to: '12-31' }] },
      'shutdowns',
    ],
  ] as const)('rejects %s', (_name, options, field) => {
    const err = failure(() => addPeriod(at('2024-03-04T10:00:00Z'), options));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.details).toMatchObject({ field });
  });
});

describe('reminderInterval', () => {
  it('defaults to 2, 7 and 30 days, and no reminder for low', () => {
    expect(reminderInterval('critical')).toBe(2);
    expect(reminderInterval('high')).toBe(7);
    expect(reminderInterval('medium')).toBe(30);
    expect(reminderInterval('low')).toBeNull();
  });

  it('takes a project policy over the defaults', () => {
    const policy = { critical: 1, medium: null, low: 90 };
    expect(reminderInterval('critical', policy)).toBe(1);
    expect(reminderInterval('high', policy)).toBe(7);
    expect(reminderInterval('medium', policy)).toBeNull();
    expect(reminderInterval('low', policy)).toBe(90);
  });

  it('rejects an interval below one day', () => {
    expect(failure(() => reminderInterval('high', { high: 0 })).code).toBe('VALIDATION_FAILED');
  });
});
