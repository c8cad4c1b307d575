import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/errors.js';
import { explainSupplierDecision } from '../../src/domain/severity/ssvc-explain.js';
import { parseSupplierInput, supplierPriority, type SupplierInput } from '../../src/domain/severity/ssvc.js';

const heartbleed: SupplierInput = {
  exploitation: 'active',
  automatable: 'yes',
  valueDensity: 'concentrated',
  technicalImpact: 'partial',
  publicSafetyImpact: 'minimal',
};

function failure(run: () => unknown): DomainError {
  try {
    run();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('SSVC supplier decision', () => {
  it('rates an actively exploited, automatable, concentrated bug as immediate', () => {
    expect(supplierPriority(heartbleed)).toBe('immediate');
  });

  it.each([
    ['exploitation', 'poc'],
    ['exploitation', 'Active'],
    ['automatable', true],
    ['valueDensity', undefined],
    ['technicalImpact', 'high'],
    ['publicSafetyImpact', 'catastrophic'],
  ])('rejects %s = %j with VALIDATION_FAILED naming the field', (field, value) => {
    const err = failure(() => supplierPriority({ ...heartbleed, [field]: value } as unknown as SupplierInput));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.details).toEqual({ field });
    expect(err.message).toContain(field);
  });

  it.each([null, 'immediate', 42])('rejects a non-object (%j)', (raw) => {
    const err = failure(() => parseSupplierInput(raw));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.details).toEqual({ field: 'ssvc' });
  });

  it('keeps only the five decision points of untrusted input', () => {
    expect(parseSupplierInput({ ...heartbleed, priority: 'defer' })).toEqual(heartbleed);
  });

  it('explains the decision in plain words, one reason per decision point plus utility', () => {
    const explanation = explainSupplierDecision(heartbleed);
    expect(explanation.priority).toBe('immediate');
    expect(explanation.utility).toBe('super-effective');
    expect(explanation.summary).toMatch(/^Immediate:/);
    expect(explanation.reasons).toHaveLength(6);
    expect(explanation.reasons[0]).toMatch(/exploiting it now/);
    expect(explanation.reasons[3]).toMatch(/super effective/);
  });

  it('explains only valid input', () => {
    const err = failure(() => explainSupplierDecision({ ...heartbleed, technicalImpact: 'none' } as never));
    expect(err.details).toEqual({ field: 'technicalImpact' });
  });
});
