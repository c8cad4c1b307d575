import { describe, expect, it } from 'vitest';
import { type Compare, inRange, isAffected, type OsvRangeInput } from '../../src/domain/scan/osv-ranges.js';

// OSV range evaluation against the schema's own examples (osv-schema docs/schema.md, "Evaluation"
// and "Examples"), with a plain dotted-number order so that only the evaluation is under test.

const dotted: Compare = (a, b) => {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
};
const orders = { semver: dotted, ecosystem: dotted };
const range = (type: string, ...events: OsvRangeInput['events']): OsvRangeInput => ({ type, events });

describe('OSV range evaluation', () => {
  it('every version when only introduced "0"', () => {
    const r = range('SEMVER', { introduced: '0' });
    for (const v of ['0.0.1', '1.0.0', '99.0']) expect(inRange(v, r, dotted)).toBe(true);
  });

  it('everything before the fix', () => {
    const r = range('SEMVER', { introduced: '0' }, { fixed: '1.0.2' });
    expect(inRange('1.0.1', r, dotted)).toBe(true);
    expect(inRange('1.0.2', r, dotted)).toBe(false);
    expect(inRange('2.0', r, dotted)).toBe(false);
  });

  it('several introduced/fixed pairs in one range, whatever order they are listed in', () => {
    const events = [{ introduced: '1.0.0' }, { fixed: '1.0.2' }, { introduced: '1.1.0' }, { fixed: '1.1.3' }];
    for (const listed of [events, [...events].reverse()]) {
      const r = range('ECOSYSTEM', ...listed);
      expect(
        ['0.9', '1.0.0', '1.0.1', '1.0.2', '1.0.9', '1.1.0', '1.1.2', '1.1.3', '2.0'].map((v) => inRange(v, r, dotted)),
      ).toEqual([false, true, true, false, false, true, true, false, false]);
    }
  });

  it('last_affected includes the version itself', () => {
    const r = range('ECOSYSTEM', { introduced: '1.0' }, { last_affected: '1.4' });
    expect(inRange('1.4', r, dotted)).toBe(true);
    expect(inRange('1.4.1', r, dotted)).toBe(false);
  });

  it('limit: versions at or past every limit are outside the range; "*" is no limit', () => {
    const r = range('ECOSYSTEM', { introduced: '0' }, { limit: '2.0' });
    expect(inRange('1.9', r, dotted)).toBe(true);
    expect(inRange('2.0', r, dotted)).toBe(false);
    expect(inRange('3.0', range('ECOSYSTEM', { introduced: '0' }, { limit: '*' }), dotted)).toBe(true);
    const two = range('ECOSYSTEM', { introduced: '0' }, { limit: '2.0' }, { limit: '3.0' });
    expect(inRange('2.5', two, dotted)).toBe(true);
    expect(inRange('3.0', two, dotted)).toBe(false);
  });

  it('an introduced and a fixed of the same version make an empty range', () => {
    expect(inRange('1.0', range('ECOSYSTEM', { introduced: '1.0' }, { fixed: '1.0' }), dotted)).toBe(false);
  });

  it('listed versions, ECOSYSTEM and SEMVER ranges; GIT ranges never match a version', () => {
    const affected = {
      versions: ['0.5', '0.7'],
      ranges: [range('GIT', { introduced: '0' }), range('SEMVER', { introduced: '2.0' }, { fixed: '2.1' })],
    };
    expect(isAffected('0.7', affected, orders)).toBe(true);
    expect(isAffected('0.7.0', affected, orders)).toBe(true);
    expect(isAffected('0.6', affected, orders)).toBe(false);
    expect(isAffected('2.0.5', affected, orders)).toBe(true);
    expect(isAffected('3.0', affected, orders)).toBe(false);
  });

  it('an ECOSYSTEM range of an ecosystem with no known order affects nothing; listed versions match as text', () => {
    const affected = { versions: ['r1'], ranges: [range('ECOSYSTEM', { introduced: '0' })] };
    const unknown = { semver: dotted, ecosystem: undefined };
    expect(isAffected('r1', affected, unknown)).toBe(true);
    expect(isAffected('r2', affected, unknown)).toBe(false);
  });
});
