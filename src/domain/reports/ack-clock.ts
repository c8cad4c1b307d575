/**
 * Where a report stands against its acknowledgement target (the SLA the project promises reporters):
 * still due, overdue, or acknowledged (and whether that was late).
 */
export type AckClock =
  | { state: 'due'; dueAt: string; acknowledgedAt: null; dueInMs: number }
  | { state: 'overdue'; dueAt: string; acknowledgedAt: null; overdueMs: number }
  | { state: 'acknowledged'; dueAt: string; acknowledgedAt: string; afterMs: number; late: boolean };

export function ackClock(
  report: { receivedAt: string; ackDueAt: string; acknowledgedAt: string | null },
  now: Date,
): AckClock {
  const due = Date.parse(report.ackDueAt);
  if (report.acknowledgedAt !== null) {
    const at = Date.parse(report.acknowledgedAt);
    return {
      state: 'acknowledged',
      dueAt: report.ackDueAt,
      acknowledgedAt: report.acknowledgedAt,
      afterMs: at - Date.parse(report.receivedAt),
      late: at > due,
    };
  }
  const left = due - now.getTime();
  return left >= 0
    ? { state: 'due', dueAt: report.ackDueAt, acknowledgedAt: null, dueInMs: left }
    : { state: 'overdue', dueAt: report.ackDueAt, acknowledgedAt: null, overdueMs: -left };
}
