import { describe, expect, it } from 'vitest';
import * as alpine from '../../src/domain/scan/versions/alpine.js';
import { failures, orderViolations, readCases } from './support/fixture-lines.js';

// apk's ordering against osv-scalibr's fixture, every line of it, including those where apk 2 and
// apk 3 disagree about versions apk 3 rejects (versions/alpine.ts says which way each goes).

describe('alpine ordering', () => {
  const cases = readCases('alpine-versions.txt');

  it('agrees with every line of alpine-versions.txt', () => {
    expect(cases.length).toBeGreaterThan(700);
    expect(failures(alpine.compare, cases)).toEqual([]);
  });

  it('is antisymmetric and transitive over the fixture versions, and never throws', () => {
    expect(orderViolations(alpine.compare, cases)).toEqual([]);
    for (const odd of ['', '-', '_', '1_', '1~', '1-r', 'é']) expect(() => alpine.compare(odd, '1.0')).not.toThrow();
  });

  it.each([
    ['1.0~abc', '1.0~abd', -1],
    ['1.0', '1.0~abc', -1],
    ['1.0~abc', '1.0~abc-r1', -1],
    ['1.0-r1', '1.0~abc', -1],
    ['1.02', '1.1', -1],
    ['1.2_alpha1_p2', '1.2_alpha1', 1],
    ['1.2_rc1', '1.2', -1],
  ])('orders %s against %s (%i), as apk 3 does', (a, b, expected) => {
    expect(Math.sign(alpine.compare(a, b))).toBe(expected);
    expect(Math.sign(alpine.compare(b, a))).toBe(-expected);
  });

  it('says which versions apk accepts', () => {
    for (const ok of ['1.2.3', '1.2.3a', '1.2_rc1_p2', '1.2~0af3-r4', '2021.10.07-r0'])
      expect(alpine.isValid(ok)).toBe(true);
    for (const bad of ['', 'a1', '1.2A', '1.2_blah', '1-ruff', '0.r1', '6.6.2p1', '1~', '1-r0-r1']) {
      expect(alpine.isValid(bad)).toBe(false);
    }
  });
});
