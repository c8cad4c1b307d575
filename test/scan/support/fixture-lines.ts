import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The lines of osv-scalibr's version-ordering fixtures (test/fixtures/version-ordering/SOURCE.md)
// and the checks every ordering must pass on them.

export type Compare = (a: string, b: string) => number;

export interface Case {
  line: number;
  a: string;
  op: '<' | '>' | '=';
  b: string;
}

export function readCases(file: string): Case[] {
  const path = fileURLToPath(new URL(`../../fixtures/version-ordering/${file}`, import.meta.url));
  const cases: Case[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((text, index) => {
      const line = text.trim();
      // The upstream files comment with both `#` and `//`.
      if (line === '' || line.startsWith('#') || line.startsWith('//')) return;
      const match = /^(\S+) ([<>=]) (\S+)$/.exec(line);
      if (!match) throw new Error(`${file}:${index + 1}: unreadable line "${line}"`);
      cases.push({ line: index + 1, a: match[1] ?? '', op: match[2] as Case['op'], b: match[3] ?? '' });
    });
  return cases;
}

/** Every line, both directions; returns the failures so one test reports them all. */
export function failures(compare: Compare, cases: readonly Case[]): string[] {
  const expected = { '<': -1, '=': 0, '>': 1 } as const;
  return cases.flatMap(({ line, a, op, b }) => {
    const forward = Math.sign(compare(a, b));
    const backward = Math.sign(compare(b, a));
    return forward === expected[op] && backward === -expected[op]
      ? []
      : [`line ${line}: ${a} ${op} ${b} (got ${forward}, reversed ${backward})`];
  });
}

/** Antisymmetry and transitivity over every version the fixture mentions (capped). */
// PHP's `#` part equals every number (1.2.3.# = 1.2.3 and = 1.2.3.1), which no total
// order can honour, so versions holding it are left out of the order checks.
export function orderViolations(compare: Compare, cases: readonly Case[]): string[] {
  const versions = [...new Set(cases.flatMap(({ a, b }) => [a, b]))].filter((v) => !v.includes('#')).slice(0, 60);
  const problems: string[] = [];
  for (const x of versions) {
    for (const y of versions) {
      if (Math.sign(compare(x, y)) !== -Math.sign(compare(y, x))) problems.push(`antisymmetry ${x} ${y}`);
      for (const z of versions) {
        if (compare(x, y) <= 0 && compare(y, z) <= 0 && compare(x, z) > 0) {
          problems.push(`transitivity ${x} <= ${y} <= ${z}`);
        }
      }
    }
  }
  return problems;
}
