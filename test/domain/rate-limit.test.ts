import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from '../../src/clock.js';
import { addressKey, hit, pruneRateLimits } from '../../src/domain/instance/rate-limit.service.js';
import { ManualClock } from '../support/clock.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';

describe('addressKey', () => {
  it('keeps IPv4 addresses whole and groups IPv6 by /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});

describe.each(engines())('rate limit counters on %s', (engine) => {
  let t: TestDatabase;
  const clock = new ManualClock('2026-03-02T09:10:00.000Z');
  beforeAll(async () => {
    t = await createTestDatabase(engine);
  });
  afterAll(() => t.destroy());

  it('allows up to the limit in a window, then refuses until the window ends', async () => {
    const rule = { bucket: 'test:a', limit: 3, windowMs: HOUR_MS };
    for (let i = 0; i < 3; i++) expect(await hit(t.db, clock, rule)).toEqual({ allowed: true, retryAfterSeconds: 0 });
    // 09:10 in the 09:00-10:00 window: 50 minutes to wait.
    expect(await hit(t.db, clock, rule)).toEqual({ allowed: false, retryAfterSeconds: 50 * 60 });
    clock.advance(49 * MINUTE_MS);
    expect(await hit(t.db, clock, rule)).toEqual({ allowed: false, retryAfterSeconds: 60 });
    clock.advance(MINUTE_MS);
    expect((await hit(t.db, clock, rule)).allowed).toBe(true);
  });

  it('counts each bucket on its own', async () => {
    const a = { bucket: 'test:b1', limit: 1, windowMs: HOUR_MS };
    const b = { bucket: 'test:b2', limit: 1, windowMs: HOUR_MS };
    expect((await hit(t.db, clock, a)).allowed).toBe(true);
    expect((await hit(t.db, clock, a)).allowed).toBe(false);
    expect((await hit(t.db, clock, b)).allowed).toBe(true);
  });

  it('counts concurrent hits exactly (a single upsert per hit)', async () => {
    const rule = { bucket: 'test:concurrent', limit: 5, windowMs: HOUR_MS };
    const results = await Promise.all(Array.from({ length: 12 }, () => hit(t.db, clock, rule)));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
  });

  it('forgets a hit made in a transaction that rolled back', async () => {
    const rule = { bucket: 'test:rollback', limit: 1, windowMs: HOUR_MS };
    await expect(
      t.db.transaction().execute(async (trx) => {
        expect((await hit(trx, clock, rule)).allowed).toBe(true);
        throw new Error('the submission failed');
      }),
    ).rejects.toThrow('the submission failed');
    expect((await hit(t.db, clock, rule)).allowed).toBe(true);
  });

  it('prunes counters of old windows', async () => {
    await hit(t.db, clock, { bucket: 'test:old', limit: 1, windowMs: HOUR_MS });
    clock.advance(3 * HOUR_MS);
    const removed = await pruneRateLimits(t.db, new Date(clock.now().getTime() - HOUR_MS));
    expect(removed).toBeGreaterThan(0);
    const left = await t.db
      .selectFrom('rate_limit_counters')
      .select('bucket')
      .where('bucket', '=', 'test:old')
      .execute();
    expect(left).toEqual([]);
  });
});
