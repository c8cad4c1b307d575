import type { CaseAction, CaseState } from '../../domain/cases/case-state.js';
import { canCaseTransition, MANUAL_CASE_ACTIONS, type ManualCaseAction } from '../../domain/cases/case-state.js';
import type { Case } from '../../domain/cases/cases.js';
import { CsrfField } from './layout.js';
import { when } from './time.js';

export { MANUAL_CASE_ACTIONS as MANUAL_ACTIONS } from '../../domain/cases/case-state.js';
export type { ManualCaseAction as ManualAction } from '../../domain/cases/case-state.js';

export const stateWords: Record<CaseState, string> = {
  triage: 'Triage',
  fix_in_progress: 'Fix in progress',
  fix_ready: 'Fix ready',
  scheduled: 'Scheduled',
  published: 'Published',
  closed: 'Closed',
};

const actionWords: Record<ManualCaseAction, { label: string; hint: string; reason: boolean; danger?: boolean }> = {
  start_fix: { label: 'Start the fix', hint: 'Usually happens when a Fix Lead is named.', reason: false },
  fix_ready: {
    label: 'Mark the fix ready',
    hint: 'Usually automatic once every affected supported branch has an approved patch.',
    reason: false,
  },
  reopen_fix: { label: 'Reopen the fix', hint: 'The fix needs more work.', reason: true },
  close: { label: 'Close the case', hint: 'No fix will be released (or it was, and the case is done).', reason: true },
  break_embargo: {
    label: 'Embargo broken',
    hint: 'A leak or exploitation was seen: the release is expedited.',
    reason: true,
    danger: true,
  },
};

/** The case's state and the lifecycle actions allowed from it; works without JavaScript. */
export function CaseStateSection(props: { theCase: Case; action: string; csrfToken: string; canEdit: boolean }) {
  const c = props.theCase;
  const available = MANUAL_CASE_ACTIONS.filter((a: CaseAction) =>
    canCaseTransition(c.state, a, c.embargoBrokenAt !== null),
  );
  return (
    <section id="state" aria-labelledby="state-heading">
      <h2 id="state-heading">Lifecycle</h2>
      <p>
        State: <span class={`badge case-${c.state}`}>{stateWords[c.state]}</span>
        {c.embargoBrokenAt ? (
          <strong class="overdue"> · Embargo broken {when(c.embargoBrokenAt)}: release expedited</strong>
        ) : null}
      </p>
      {props.canEdit && available.length > 0 ? (
        <div class="lifecycle-actions">
          {available.map((a) => {
            const words = actionWords[a];
            return (
              <form key={a} method="post" action={props.action} class="triage-form">
                <CsrfField token={props.csrfToken} />
                <input type="hidden" name="action" value={a} />
                {words.reason ? (
                  <label>
                    Why <span class="hint">(kept in the case history)</span>
                    <input type="text" name="reason" maxLength={2000} required />
                  </label>
                ) : null}
                <button type="submit" class={words.danger ? 'danger' : 'secondary'}>
                  {words.label}
                </button>{' '}
                <span class="hint">{words.hint}</span>
              </form>
            );
          })}
        </div>
      ) : null}
    </section>
  );
}
