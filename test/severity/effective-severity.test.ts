import { describe, expect, it } from 'vitest';
import { scoreCvss } from '../../src/domain/severity/cvss.js';
import {
  effectiveSeverity,
  severities,
  type ExploitationContext,
} from '../../src/domain/severity/effective-severity.js';

const heartbleedCvss = scoreCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N');
const lowCvss = scoreCvss('CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N');
const criticalCvss = scoreCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H');
const quiet: ExploitationContext = { exploitedInTheWild: false, publicExploit: false };

describe('effective severity', () => {
  it('rates a Heartbleed-like case critical and immediate, with its reasons', () => {
    expect(heartbleedCvss.base).toEqual({ score: 7.5, rating: 'High' });
    const result = effectiveSeverity({
      cvss: [heartbleedCvss],
      exploitation: {
        exploitedInTheWild: true,
        exploitationEvidence: { source: 'CISA KEV', reportedOn: '2014-04-08' },
        publicExploit: true,
        exposure: 'most',
      },
    });
    expect(result).toMatchObject({ severity: 'critical', priority: 'immediate', raisedFromCvss: true });
    expect(result.reasons).toEqual([
      'CVSS 3.1 scores 7.5: high.',
      'Exploited in the wild (reported by CISA KEV on 2014-04-08) and most deployments affected: severity raised from high to critical.',
      'Severity critical calls for priority immediate.',
    ]);
  });

  it('raises a low CVSS under active exploitation to high and immediate', () => {
    expect(lowCvss.overall.rating).toBe('Low');
    const result = effectiveSeverity({ cvss: [lowCvss], exploitation: { ...quiet, exploitedInTheWild: true } });
    expect(result).toMatchObject({ severity: 'high', priority: 'immediate', raisedFromCvss: true });
    expect(result.reasons).toContain('Exploited in the wild: severity raised from low to high.');
    expect(result.reasons).toContain('Exploited in the wild: priority raised from out-of-cycle to immediate.');
  });

  it('keeps a high CVSS with nothing else at high and out-of-cycle', () => {
    const result = effectiveSeverity({ cvss: [heartbleedCvss], exploitation: { ...quiet, exposure: 'most' } });
    expect(result).toEqual({
      severity: 'high',
      priority: 'out-of-cycle',
      raisedFromCvss: false,
      reasons: ['CVSS 3.1 scores 7.5: high.', 'Severity high calls for priority out-of-cycle.'],
    });
  });

  it('lets an SSVC immediate decision raise a medium CVSS to high and immediate', () => {
    const medium = scoreCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N');
    expect(medium.overall.rating).toBe('Medium');
    const result = effectiveSeverity({ cvss: [medium], ssvcPriority: 'immediate', exploitation: quiet });
    expect(result).toMatchObject({ severity: 'high', priority: 'immediate', raisedFromCvss: true });
    expect(result.reasons).toContain('SSVC supplier priority is immediate: severity raised from medium to high.');
    expect(result.reasons).toContain(
      'SSVC supplier priority is immediate: priority raised from out-of-cycle to immediate.',
    );
  });

  it('raises a public exploit on most deployments to high, and alone to medium', () => {
    const poc = { ...quiet, publicExploit: true };
    expect(effectiveSeverity({ cvss: [lowCvss], exploitation: poc }).severity).toBe('medium');
    expect(effectiveSeverity({ cvss: [lowCvss], exploitation: { ...poc, exposure: 'most' } }).severity).toBe('high');
  });

  it('never lowers below the CVSS rating, whatever the other inputs say', () => {
    const result = effectiveSeverity({
      cvss: [criticalCvss],
      ssvcPriority: 'defer',
      exploitation: { ...quiet, exposure: 'few' },
    });
    expect(result).toMatchObject({ severity: 'critical', priority: 'immediate', raisedFromCvss: false });
  });

  it('starts from the highest of a 3.1 and a 4.0 score', () => {
    const medium = scoreCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N');
    const result = effectiveSeverity({ cvss: [medium, criticalCvss], exploitation: quiet });
    expect(result.severity).toBe('critical');
    expect(result.reasons[0]).toBe('CVSS 3.1 scores 10: critical.');
  });

  it('never comes out below CVSS for any combination of inputs', () => {
    for (const cvss of [lowCvss, heartbleedCvss, criticalCvss]) {
      for (const exposure of [undefined, 'few', 'some', 'most'] as const) {
        for (const ssvcPriority of [undefined, 'defer', 'scheduled', 'out-of-cycle', 'immediate'] as const) {
          for (const exploitedInTheWild of [false, true]) {
            const result = effectiveSeverity({
              cvss: [cvss],
              ...(ssvcPriority && { ssvcPriority }),
              exploitation: { exploitedInTheWild, publicExploit: exploitedInTheWild, ...(exposure && { exposure }) },
            });
            const floor = severities.indexOf(cvss.overall.rating.toLowerCase() as (typeof severities)[number]);
            expect(severities.indexOf(result.severity)).toBeGreaterThanOrEqual(floor);
            expect(result.reasons.length).toBeGreaterThanOrEqual(2);
          }
        }
      }
    }
  });

  it('starts from none without a CVSS score', () => {
    const result = effectiveSeverity({ cvss: [], exploitation: quiet });
    expect(result).toMatchObject({ severity: 'none', priority: 'defer', raisedFromCvss: false });
    expect(result.reasons[0]).toBe('No CVSS score yet: starting from none.');
  });
});
