import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  automatableValues,
  publicSafetyImpactOf,
  supplierDecision,
  supplierPriority,
  utilityOf,
  valueDensityValues,
  type Automatable,
  type Exploitation,
  type PublicSafetyImpact,
  type SafetyImpact,
  type SsvcPriority,
  type TechnicalImpact,
  type Utility,
  type ValueDensity,
} from '../../src/domain/severity/ssvc.js';

// CERT/CC SSVC decision tables; provenance and licence in test/fixtures/ssvc/README.md.
const fixture = (name: string) => new URL(`../fixtures/ssvc/${name}`, import.meta.url);

/** Rows of a table as lower-case kebab-case cells, without the leading row number. */
function rows(name: string): string[][] {
  const lines = readFileSync(fixture(name), 'utf8').trim().split('\n').slice(1);
  return lines.map((line) =>
    line
      .split(',')
      .slice(1)
      .map((cell) => cell.trim().toLowerCase().replace(/ /g, '-')),
  );
}

// The legacy v2 table spells "public poc" as "poc"; the outcomes are otherwise spelt the same.
const exploitation = (cell: string) => (cell === 'poc' ? 'public-poc' : cell) as Exploitation;

const utilityTable = rows('utility_1_0_0.csv').map(([automatable, valueDensity, utility]) => ({
  automatable: automatable as Automatable,
  valueDensity: valueDensity as ValueDensity,
  utility: utility as Utility,
}));

describe('SSVC Utility 1.0.1 (Automatable x Value Density)', () => {
  it('has the 4 published rows and utilityOf agrees with each', () => {
    expect(utilityTable).toHaveLength(4);
    for (const row of utilityTable) expect(utilityOf(row.automatable, row.valueDensity)).toBe(row.utility);
  });
});

describe('SSVC Public Safety Impact 2.0.1 (from Safety Impact)', () => {
  it('agrees with each of the 4 published rows', () => {
    const table = rows('public_safety_impact_1_0_0.csv');
    expect(table).toHaveLength(4);
    for (const [safety, publicSafety] of table) {
      expect(publicSafetyImpactOf(safety as SafetyImpact)).toBe(publicSafety as PublicSafetyImpact);
    }
  });
});

describe.each([
  { table: 'supplier_patch_development_priority_1_0_0.csv' },
  { table: 'legacy-v2-supplier-options.csv' },
])('SSVC supplier decision against $table', ({ table }) => {
  const supplierRows = rows(table);

  it('has all 36 combinations', () => {
    expect(supplierRows).toHaveLength(36);
  });

  // The table is keyed by Utility; the inputs are Automatable and Value Density. Every pair that
  // the published Utility table maps to the row's utility must give the row's priority.
  it.each(supplierRows.map((cells, index) => ({ index, cells })))('row $index: $cells', ({ cells }) => {
    const [e, utility, technicalImpact, publicSafetyImpact, priority] = cells;
    const pairs = utilityTable.filter((u) => u.utility === utility);
    expect(pairs.length).toBeGreaterThan(0);
    for (const { automatable, valueDensity } of pairs) {
      const input = {
        exploitation: exploitation(e ?? ''),
        automatable,
        valueDensity,
        technicalImpact: technicalImpact as TechnicalImpact,
        publicSafetyImpact: publicSafetyImpact as PublicSafetyImpact,
      };
      expect(supplierPriority(input)).toBe(priority as SsvcPriority);
      expect(supplierDecision(input).utility).toBe(utility);
    }
  });

  it('covers every full input (3 x 2 x 2 x 2 x 2 = 48) exactly once via the Utility table', () => {
    const seen = new Set<string>();
    for (const [e, utility, ti, psi] of supplierRows) {
      for (const a of automatableValues) {
        for (const v of valueDensityValues) {
          if (utilityOf(a, v) === utility) seen.add([e, a, v, ti, psi].join('|'));
        }
      }
    }
    expect(seen.size).toBe(48);
  });
});
