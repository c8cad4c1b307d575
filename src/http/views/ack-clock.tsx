import type { AckClock } from '../../domain/reports/ack-clock.js';

/** "5 h 10 min", "2 h", "12 min", "3 d": the same wording as the enhancement script (assets/app.js). */
export function duration(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  if (h >= 48) return `${Math.floor(h / 24)} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return `${m} min`;
}

export function ackClockText(clock: AckClock): string {
  switch (clock.state) {
    case 'due':
      return `due in ${duration(clock.dueInMs)}`;
    case 'overdue':
      return `overdue by ${duration(clock.overdueMs)}`;
    case 'acknowledged':
      return `acknowledged after ${duration(clock.afterMs)}${clock.late ? ' (late)' : ''}`;
  }
}

/**
 * The acknowledgement clock, as text computed on the server. A running clock carries `data-due` so
 * the enhancement script keeps it current; a stopped one must not (the script would restart it).
 */
export function AckClockText({ clock }: { clock: AckClock }) {
  if (clock.state === 'acknowledged') {
    return <span class={clock.late ? 'ack-late' : 'ack-met'}>{ackClockText(clock)}</span>;
  }
  return (
    <span data-due={clock.dueAt} class={clock.state} title={`Due ${clock.dueAt}`}>
      {ackClockText(clock)}
    </span>
  );
}
