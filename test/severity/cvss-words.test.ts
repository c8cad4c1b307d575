import { describe, expect, it } from 'vitest';
import { scoreCvss } from '../../src/domain/severity/cvss.js';
import { cvssMetrics, type CvssVersion } from '../../src/domain/severity/cvss-metrics.js';
import { explainVector, groupWords, metricWords, valueWords } from '../../src/domain/severity/cvss-words.js';
import { DomainError } from '../../src/errors.js';

const versions = Object.keys(cvssMetrics) as CvssVersion[];
const labelsOf = (vector: string) => explainVector(vector).map((m) => `${m.key}:${m.label}`);

describe('CVSS words', () => {
  it.each(versions)('describes every metric and value of CVSS %s in full sentences', (version) => {
    for (const definition of cvssMetrics[version]) {
      const metric = metricWords(version, definition.key);
      expect(metric.name).toBe(definition.name);
      expect(metric.description, definition.key).toMatch(/^[A-Z].{20,}\.$/);
      const explanations = new Set<string>();
      for (const value of definition.values) {
        const words = valueWords(version, definition.key, value);
        expect(words.label, `${definition.key}:${value}`).toMatch(/\S/);
        expect(words.explanation, `${definition.key}:${value}`).toMatch(/^[A-Z].{8,}\.$/);
        explanations.add(words.explanation);
      }
      // Two values explained alike would mean a copy-and-paste slip.
      expect(explanations.size, definition.key).toBe(definition.values.length);
    }
  });

  it('names every group a metric belongs to', () => {
    const groups = new Set(versions.flatMap((v) => cvssMetrics[v].map((d) => d.group)));
    for (const group of groups) expect(groupWords(group).name).toMatch(/^[A-Z]/);
  });

  it('refuses metrics and values the version does not have', () => {
    expect(() => metricWords('3.1', 'AT')).toThrow('AT is not a metric of CVSS 3.1');
    expect(() => valueWords('3.1', 'AV', 'Q')).toThrow('no words for AV:Q');
    expect(() => valueWords('4.0', 'UI', 'R')).toThrow('no words for UI:R');
    expect(() => valueWords('3.1', 'MSI', 'S')).toThrow('MSI is not a metric');
  });

  it('explains a 3.1 vector metric by metric, in canonical order', () => {
    // Log4Shell (CVE-2021-44228) as NVD scored it, metrics shuffled.
    expect(labelsOf('CVSS:3.1/S:C/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H')).toEqual([
      'AV:Network',
      'AC:Low',
      'PR:None',
      'UI:None',
      'S:Changed',
      'C:High',
      'I:High',
      'A:High',
    ]);
    const [av] = explainVector('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H');
    expect(av).toEqual({
      key: 'AV',
      name: 'Attack Vector',
      group: 'base',
      value: 'N',
      label: 'Network',
      explanation: valueWords('3.1', 'AV', 'N').explanation,
    });
  });

  it('explains temporal and environmental metrics and drops Not Defined ones', () => {
    const explained = explainVector('CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:N/I:L/A:L/E:P/RL:X/CR:H/MAV:N');
    expect(explained.slice(8).map((m) => [m.key, m.group, m.label])).toEqual([
      ['E', 'temporal', 'Proof-of-Concept'],
      ['CR', 'environmental', 'High'],
      ['MAV', 'environmental', 'Network'],
    ]);
    expect(explained.at(-1)?.explanation).toMatch(/^In the assessed environment, an attacker can exploit it remotely/);
  });

  it('explains a 4.0 vector with threat, environmental and supplemental metrics, from its score too', () => {
    const vector =
      'CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:L/SI:L/SA:N/E:A/MSI:S/S:P/AU:Y/R:I/V:C/RE:H/U:Amber';
    expect(labelsOf(vector)).toEqual([
      'AV:Network',
      'AC:Low',
      'AT:Present',
      'PR:None',
      'UI:Passive',
      'VC:High',
      'VI:High',
      'VA:High',
      'SC:Low',
      'SI:Low',
      'SA:None',
      'E:Attacked',
      'MSI:Safety',
      'S:Present',
      'AU:Yes',
      'R:Irrecoverable',
      'V:Concentrated',
      'RE:High',
      'U:Amber',
    ]);
    expect(explainVector(scoreCvss(vector))).toEqual(explainVector(vector));
    expect(explainVector(vector).find((m) => m.key === 'U')?.group).toBe('supplemental');
  });

  it('explains an imported 2.0 vector', () => {
    expect(labelsOf('(AV:N/AC:M/Au:S/C:P/I:N/A:C/E:POC/CDP:LM)')).toEqual([
      'AV:Network',
      'AC:Medium',
      'Au:Single',
      'C:Partial',
      'I:None',
      'A:Complete',
      'E:Proof-of-Concept',
      'CDP:Low-Medium',
    ]);
  });

  it('refuses an invalid vector string like scoreCvss, naming the metric', () => {
    expect(() => explainVector('CVSS:4.0/AV:N')).toThrow(DomainError);
    expect(() => explainVector('CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toThrow(
      'AV:Q is not a valid value for Attack Vector',
    );
  });
});
