import { describe, expect, it } from 'vitest';
import {
  allowedActions,
  nextStatus,
  REPORT_ACTIONS,
  REPORT_STATUSES,
  type ReportAction,
  type ReportStatus,
} from '../../src/domain/reports/report-state.js';

// The whole table: every (state, action) pair, allowed with its target or refused.
const expected: Record<ReportStatus, Partial<Record<ReportAction, ReportStatus>>> = {
  new: { acknowledge: 'acknowledged', request_info: 'needs_info', accept: 'accepted', close: 'closed' },
  acknowledged: { request_info: 'needs_info', accept: 'accepted', close: 'closed' },
  needs_info: { info_provided: 'acknowledged', accept: 'accepted', close: 'closed' },
  accepted: {},
  closed: { reopen: 'acknowledged' },
};

describe('report state machine', () => {
  for (const from of REPORT_STATUSES) {
    for (const action of REPORT_ACTIONS) {
      const to = expected[from][action];
      if (to) {
        it(`${from} --${action}--> ${to}`, () => {
          expect(nextStatus(from, action, { wasAcknowledged: true })).toBe(to);
        });
      } else {
        it(`${from} refuses ${action}`, () => {
          expect(() => nextStatus(from, action, { wasAcknowledged: true })).toThrow(
            expect.objectContaining({ code: 'INVALID_TRANSITION' }),
          );
        });
      }
    }
    it(`lists exactly the allowed actions from ${from}`, () => {
      expect(allowedActions(from).sort()).toEqual(Object.keys(expected[from]).sort());
    });
  }

  it('reopens a never-acknowledged report as new', () => {
    expect(nextStatus('closed', 'reopen', { wasAcknowledged: false })).toBe('new');
  });
});
