import { describe, expect, it } from 'vitest';
import { type Compare, failures, orderViolations, readCases } from './support/fixture-lines.js';
import * as debian from '../../src/domain/scan/versions/debian.js';
import * as maven from '../../src/domain/scan/versions/maven.js';
import * as packagist from '../../src/domain/scan/versions/packagist.js';
import * as rpm from '../../src/domain/scan/versions/rpm.js';

const ORDERINGS: readonly { name: string; file: string; compare: Compare; odd: readonly string[] }[] = [
  { name: 'maven', file: 'maven-versions.txt', compare: maven.compare, odd: ['', '-', '..', 'é', '1-é'] },
  { name: 'packagist', file: 'packagist-versions.txt', compare: packagist.compare, odd: ['', 'v', '...', '#', 'x-y'] },
  { name: 'debian', file: 'debian-versions.txt', compare: debian.compare, odd: ['', ':', 'a:b-c', '-', '~~'] },
  { name: 'rpm', file: 'redhat-versions.txt', compare: rpm.compare, odd: ['', ':', '-', '^~', 'é'] },
];

for (const { name, file, compare, odd } of ORDERINGS) {
  describe(`${name} ordering`, () => {
    const cases = readCases(file);

    it(`agrees with every line of ${file}`, () => {
      expect(cases.length).toBeGreaterThan(10);
      expect(failures(compare, cases)).toEqual([]);
    });

    it('is antisymmetric and transitive on the fixture versions', () => {
      expect(orderViolations(compare, cases)).toEqual([]);
    });

    it('never throws and stays reflexive on unparsable input', () => {
      for (const x of odd) {
        expect(compare(x, x)).toBe(0);
        for (const y of odd) expect(Math.sign(compare(x, y)) + Math.sign(compare(y, x))).toBe(0);
      }
    });
  });
}
