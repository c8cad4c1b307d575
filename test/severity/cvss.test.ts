import { describe, expect, it } from 'vitest';
import { cvssRating, scoreCvss } from '../../src/domain/severity/cvss.js';
import { DomainError } from '../../src/errors.js';

function rejection(vector: string): DomainError {
  try {
    scoreCvss(vector);
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error(`accepted ${vector}`);
}

const base31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const base40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

describe('scoreCvss', () => {
  it('scores a 3.1 vector with every group, in canonical order, dropping Not Defined metrics', () => {
    const score = scoreCvss(`CVSS:3.1/S:U/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H/E:F/RL:X/CR:L`);
    expect(score).toEqual({
      version: '3.1',
      vector: `${base31}/E:F/CR:L`,
      base: { score: 9.8, rating: 'Critical' },
      temporal: { score: 9.6, rating: 'Critical' },
      environmental: { score: 9.3, rating: 'Critical' }, // 6.42 x 0.8606 + 3.887 -> 9.5, x 0.97 -> 9.3
      overall: { score: 9.3, rating: 'Critical' },
    });
  });

  it('gives 4.0 base, threat and environmental scores with their nomenclature', () => {
    expect(scoreCvss(base40)).toEqual({
      version: '4.0',
      vector: base40,
      base: { score: 9.3, rating: 'Critical' },
      overall: { score: 9.3, rating: 'Critical', nomenclature: 'CVSS-B' },
    });
    const full = scoreCvss(`${base40}/E:U/CR:L/U:Red`);
    expect(full.threat).toEqual({ score: 8.1, rating: 'High' });
    expect(full.environmental?.score).toBeLessThan(8.1);
    expect(full.overall).toEqual({ ...full.environmental, nomenclature: 'CVSS-BTE' });
  });

  it('accepts 3.0 and 2.0 (with NVD parentheses) for import', () => {
    expect(scoreCvss('CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:N/I:L/A:L').base).toEqual({ score: 2.9, rating: 'Low' });
    const v2 = scoreCvss('(AV:N/AC:L/Au:N/C:P/I:N/A:N)');
    expect(v2).toMatchObject({ version: '2.0', vector: 'AV:N/AC:L/Au:N/C:P/I:N/A:N', base: { score: 5 } });
  });

  it.each([
    [`${base31.replace('AV:N', 'AV:Q')}`, 'AV', 'AV:Q is not a valid value for Attack Vector'],
    [`${base40}/E:Z`, 'E', 'E:Z is not a valid value for Exploit Maturity'],
    [`${base40.replace('SC:N', 'SC:S')}`, 'SC', 'SC:S is not a valid value for Subsequent System Confidentiality'],
    [`${base31}/XX:Y`, 'XX', 'XX is not a metric of CVSS 3.1'],
    [`${base40}/RL:O`, 'RL', 'RL is not a metric of CVSS 4.0'],
    [base31.replace('/PR:N', ''), 'PR', 'Privileges Required (PR) is missing'],
    [base40.replace('/AT:N', ''), 'AT', 'Attack Requirements (AT) is missing'],
    [base31.replace('/UI:N', '/UI:X'), 'UI', 'UI:X is not a valid value for User Interaction'],
    [`${base31}/AV:L`, 'AV', 'Attack Vector (AV) appears more than once'],
    [`${base40}/E:A/E:A`, 'E', 'Exploit Maturity (E) appears more than once'],
  ])('rejects %s naming %s', (vector, metric, message) => {
    const err = rejection(vector);
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.message).toContain(message);
    expect(err.details).toEqual({ field: 'vector', metric });
  });

  it.each([
    ['CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:3.2 is not a supported CVSS version'],
    ['CVSS:5.0/AV:N', 'CVSS:5.0 is not a supported CVSS version'],
    ['AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'must start with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/'],
    ['', 'must start with'],
    [`${base31}/`, 'is not a metric of the form KEY:VALUE'],
    [`${base31}//E:F`, 'is not a metric of the form KEY:VALUE'],
  ])('rejects %j as malformed', (vector, message) => {
    const err = rejection(vector);
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.message).toContain(message);
    expect(err.details).toMatchObject({ field: 'vector' });
  });
});

describe('cvssRating', () => {
  it('follows the FIRST scale for 3.x/4.0 and NVD for 2.0', () => {
    expect([0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map((s) => cvssRating(s, '3.1'))).toEqual([
      'None',
      'Low',
      'Low',
      'Medium',
      'Medium',
      'High',
      'High',
      'Critical',
      'Critical',
    ]);
    expect([0, 4, 7, 10].map((s) => cvssRating(s, '2.0'))).toEqual(['Low', 'Medium', 'High', 'High']);
  });
});
