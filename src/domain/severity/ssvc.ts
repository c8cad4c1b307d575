import { DomainError } from '../../errors.js';

/*
 * SSVC supplier decision ("Supplier Patch Development Priority" v1.0.0, CERT/CC SSVC data/, the
 * decision points Exploitation 1.1.0, Utility 1.0.1, Technical Impact 1.0.0, Public Safety Impact 2.0.1).
 * Value names are the SSVC names in kebab-case, so they travel unchanged through forms, JSON and URLs.
 */

export const exploitationValues = ['none', 'public-poc', 'active'] as const;
export const automatableValues = ['no', 'yes'] as const;
export const valueDensityValues = ['diffuse', 'concentrated'] as const;
export const technicalImpactValues = ['partial', 'total'] as const;
export const publicSafetyImpactValues = ['minimal', 'significant'] as const;
export const safetyImpactValues = ['negligible', 'marginal', 'critical', 'catastrophic'] as const;
export const utilityValues = ['laborious', 'efficient', 'super-effective'] as const;
export const ssvcPriorities = ['defer', 'scheduled', 'out-of-cycle', 'immediate'] as const;

export type Exploitation = (typeof exploitationValues)[number];
export type Automatable = (typeof automatableValues)[number];
export type ValueDensity = (typeof valueDensityValues)[number];
export type TechnicalImpact = (typeof technicalImpactValues)[number];
export type PublicSafetyImpact = (typeof publicSafetyImpactValues)[number];
export type SafetyImpact = (typeof safetyImpactValues)[number];
export type Utility = (typeof utilityValues)[number];
export type SsvcPriority = (typeof ssvcPriorities)[number];

/** What a supplier (the project) decides from; the five points named by the issue. */
export interface SupplierInput {
  exploitation: Exploitation;
  automatable: Automatable;
  valueDensity: ValueDensity;
  technicalImpact: TechnicalImpact;
  publicSafetyImpact: PublicSafetyImpact;
}

export interface SupplierDecision extends SupplierInput {
  utility: Utility;
  priority: SsvcPriority;
}

function pick<T extends string>(raw: Record<string, unknown>, field: string, allowed: readonly T[]): T {
  const value = raw[field];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new DomainError('VALIDATION_FAILED', `${field} must be one of: ${allowed.join(', ')}.`, { field });
  }
  return value as T;
}

/** Checks untrusted input (form, JSON, stored text) field by field; names the first bad field. */
export function parseSupplierInput(raw: unknown): SupplierInput {
  if (typeof raw !== 'object' || raw === null) {
    throw new DomainError('VALIDATION_FAILED', 'The SSVC decision needs an object of decision points.', {
      field: 'ssvc',
    });
  }
  const r = raw as Record<string, unknown>;
  return {
    exploitation: pick(r, 'exploitation', exploitationValues),
    automatable: pick(r, 'automatable', automatableValues),
    valueDensity: pick(r, 'valueDensity', valueDensityValues),
    technicalImpact: pick(r, 'technicalImpact', technicalImpactValues),
    publicSafetyImpact: pick(r, 'publicSafetyImpact', publicSafetyImpactValues),
  };
}

/** Utility 1.0.1: how much an attacker gains per effort; one step up for each of automatable and concentrated. */
export function utilityOf(automatable: Automatable, valueDensity: ValueDensity): Utility {
  const steps = (automatable === 'yes' ? 1 : 0) + (valueDensity === 'concentrated' ? 1 : 0);
  return utilityValues[steps] as Utility;
}

/** Public Safety Impact 2.0.1 collapses Safety Impact: only "negligible" stays minimal. */
export function publicSafetyImpactOf(safetyImpact: SafetyImpact): PublicSafetyImpact {
  return safetyImpact === 'negligible' ? 'minimal' : 'significant';
}

type Cell = SsvcPriority;
/** Columns: [partial+minimal, partial+significant, total+minimal, total+significant]. */
type Row = readonly [Cell, Cell, Cell, Cell];

/*
 * The published tree, folded to one line per (exploitation, utility). It stays a table on purpose:
 * the outcomes are not additive (e.g. with no exploitation, efficient+total+minimal is "scheduled" while
 * super-effective+partial+minimal is too, yet with active exploitation only the latter is "immediate"),
 * so any formula would be a harder-to-audit restatement of these 9 lines. The oracle test checks all 36 rows.
 */
const supplierTree: Record<Exploitation, Record<Utility, Row>> = {
  none: {
    laborious: ['defer', 'scheduled', 'scheduled', 'out-of-cycle'],
    efficient: ['scheduled', 'out-of-cycle', 'scheduled', 'out-of-cycle'],
    'super-effective': ['scheduled', 'out-of-cycle', 'out-of-cycle', 'out-of-cycle'],
  },
  'public-poc': {
    laborious: ['scheduled', 'out-of-cycle', 'scheduled', 'immediate'],
    efficient: ['scheduled', 'immediate', 'out-of-cycle', 'immediate'],
    'super-effective': ['out-of-cycle', 'immediate', 'out-of-cycle', 'immediate'],
  },
  active: {
    laborious: ['out-of-cycle', 'immediate', 'out-of-cycle', 'immediate'],
    efficient: ['out-of-cycle', 'immediate', 'out-of-cycle', 'immediate'],
    'super-effective': ['immediate', 'immediate', 'immediate', 'immediate'],
  },
};

/** The full supplier decision with its derived utility; validates the input first. */
export function supplierDecision(input: SupplierInput): SupplierDecision {
  const valid = parseSupplierInput(input);
  const utility = utilityOf(valid.automatable, valid.valueDensity);
  const column = (valid.technicalImpact === 'total' ? 2 : 0) + (valid.publicSafetyImpact === 'significant' ? 1 : 0);
  const priority = supplierTree[valid.exploitation][utility][column] as SsvcPriority;
  return { ...valid, utility, priority };
}

/** How soon the supplier should develop and ship a fix, per SSVC. */
export function supplierPriority(input: SupplierInput): SsvcPriority {
  return supplierDecision(input).priority;
}
