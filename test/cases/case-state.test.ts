import { describe, expect, it } from 'vitest';
import {
  CASE_ACTIONS,
  CASE_STATES,
  type CaseAction,
  type CaseState,
  canCaseTransition,
  isEmbargoedState,
  nextCaseState,
} from '../../src/domain/cases/case-state.js';
import { DomainError } from '../../src/errors.js';

// The lifecycle as documented in case-state.ts, written out by hand: every (state, action) pair not
// listed here must be refused.
const allowed: Record<string, CaseState> = {
  'triage start_fix': 'fix_in_progress',
  'fix_in_progress fix_ready': 'fix_ready',
  'fix_ready reopen_fix': 'fix_in_progress',
  'scheduled reopen_fix': 'fix_in_progress',
  'fix_ready schedule': 'scheduled',
  'scheduled unschedule': 'fix_ready',
  'scheduled publish': 'published',
  'triage close': 'closed',
  'fix_in_progress close': 'closed',
  'fix_ready close': 'closed',
  'scheduled close': 'closed',
  'published close': 'closed',
  'triage break_embargo': 'triage',
  'fix_in_progress break_embargo': 'fix_in_progress',
  'fix_ready break_embargo': 'fix_ready',
  'scheduled break_embargo': 'scheduled',
};

const pairs = CASE_STATES.flatMap((state) => CASE_ACTIONS.map((action) => [state, action] as [CaseState, CaseAction]));

describe('the case lifecycle', () => {
  it.each(pairs)('from %s, %s', (state, action) => {
    const expected = allowed[`${state} ${action}`];
    if (expected) {
      expect(canCaseTransition(state, action)).toBe(true);
      expect(nextCaseState(state, action)).toBe(expected);
    } else {
      expect(canCaseTransition(state, action)).toBe(false);
      let error: unknown;
      try {
        nextCaseState(state, action);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('INVALID_TRANSITION');
    }
  });

  it('breaks an embargo only once', () => {
    expect(canCaseTransition('fix_in_progress', 'break_embargo', true)).toBe(false);
    expect(() => nextCaseState('scheduled', 'break_embargo', true)).toThrow(DomainError);
    expect(nextCaseState('scheduled', 'publish', true)).toBe('published');
  });

  it('keeps content embargoed until publication or closing', () => {
    expect(CASE_STATES.filter(isEmbargoedState)).toEqual(['triage', 'fix_in_progress', 'fix_ready', 'scheduled']);
  });
});
