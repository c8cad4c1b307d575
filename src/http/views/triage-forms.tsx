import type { ComponentChildren } from 'preact';
import { CLOSE_REASONS, closeReasonLabel, type ReportAction } from '../../domain/reports/report-state.js';
import type { DomainError } from '../../errors.js';
import { ErrorNotice } from '../pages/forms.js';
import { CsrfField } from './layout.js';

/** The URL segment of each action form: POST /p/:slug/reports/:id/<segment>. */
export type TriageForm = 'acknowledge' | 'request-info' | 'resume' | 'accept' | 'close' | 'reopen' | 'message' | 'note';

const actionOfForm: Record<Exclude<TriageForm, 'message' | 'note'>, ReportAction> = {
  acknowledge: 'acknowledge',
  'request-info': 'request_info',
  resume: 'info_provided',
  accept: 'accept',
  close: 'close',
  reopen: 'reopen',
};

/** A form that failed: re-shown with its message and what the user typed. */
export interface FormFailure {
  form: TriageForm;
  error: DomainError;
  values: Record<string, string>;
}

export interface TriageFormsProps {
  base: string;
  csrfToken: string;
  /** State changes the report allows now (empty when the user may not triage). */
  actions: ReportAction[];
  canMessage: boolean;
  canNote: boolean;
  ackDraft: string;
  failed?: FormFailure;
}

function ActionForm(props: {
  name: TriageForm;
  title: string;
  base: string;
  csrfToken: string;
  failed?: FormFailure;
  button: string;
  confirm?: string;
  children: ComponentChildren;
}) {
  const failed = props.failed?.form === props.name ? props.failed : undefined;
  return (
    <form
      method="post"
      action={`${props.base}/${props.name}`}
      class={`triage-form form-${props.name}`}
      id={`form-${props.name}`}
      data-confirm={props.confirm}
    >
      <h3>{props.title}</h3>
      <ErrorNotice error={failed?.error} />
      <CsrfField token={props.csrfToken} />
      {props.children}
      <button type="submit">{props.button}</button>
    </form>
  );
}

function TextArea(props: {
  of: TriageForm;
  name: string;
  label: string;
  hint?: string;
  value?: string;
  required?: boolean;
}) {
  const id = `${props.of}-${props.name}`;
  return (
    <>
      <label for={id}>
        {props.label} {props.hint ? <span class="hint">{props.hint}</span> : null}
      </label>
      <textarea id={id} name={props.name} required={props.required}>
        {props.value ?? ''}
      </textarea>
    </>
  );
}

/** Exactly the forms the report's state and the user's rights allow. */
export function TriageForms(props: TriageFormsProps) {
  const { base, csrfToken, failed } = props;
  const common = { base, csrfToken, failed };
  const value = (form: TriageForm, field: string, fallback = '') =>
    failed?.form === form ? (failed.values[field] ?? '') : fallback;
  const has = (a: ReportAction) => props.actions.includes(a);
  // A form the report no longer offers (someone moved it meanwhile) cannot hold its error: show it on top.
  const formShown = (form: TriageForm) =>
    form === 'message' ? props.canMessage : form === 'note' ? props.canNote : has(actionOfForm[form]);
  return (
    <section class="triage">
      <h2>Actions</h2>
      {failed && !formShown(failed.form) ? <ErrorNotice error={failed.error} /> : null}
      {has('acknowledge') ? (
        <ActionForm {...common} name="acknowledge" title="Acknowledge" button="Acknowledge and send">
          <TextArea
            of="acknowledge"
            name="message"
            label="Message to the reporter"
            hint="(from the project's template; edit it as needed)"
            value={value('acknowledge', 'message', props.ackDraft)}
            required
          />
        </ActionForm>
      ) : null}
      {has('request_info') ? (
        <ActionForm {...common} name="request-info" title="Ask for more information" button="Ask the reporter">
          <TextArea
            of="request-info"
            name="message"
            label="What do you need?"
            value={value('request-info', 'message')}
            required
          />
        </ActionForm>
      ) : null}
      {has('info_provided') ? (
        <ActionForm {...common} name="resume" title="Resume triage" button="Resume">
          <TextArea
            of="resume"
            name="message"
            label="Message to the reporter"
            hint="(optional)"
            value={value('resume', 'message')}
          />
        </ActionForm>
      ) : null}
      {has('accept') ? (
        <ActionForm
          {...common}
          name="accept"
          title="Accept into a case"
          button="Accept and open a case"
          confirm="Open an embargoed case for this report?"
        >
          <TextArea
            of="accept"
            name="message"
            label="Message to the reporter"
            hint="(optional)"
            value={value('accept', 'message')}
          />
        </ActionForm>
      ) : null}
      {has('close') ? (
        <ActionForm {...common} name="close" title="Close" button="Close the report" confirm="Close this report?">
          <label for="close-reason">Reason</label>
          <select id="close-reason" name="reason" required>
            <option value="">Choose a reason</option>
            {CLOSE_REASONS.map((r) => (
              <option key={r} value={r} selected={value('close', 'reason') === r}>
                {closeReasonLabel(r)}
              </option>
            ))}
          </select>
          <label for="close-duplicate">
            Duplicate of <span class="hint">(tracking id of another report of this project, e.g. R-7KQ2-9XHD)</span>
          </label>
          <input id="close-duplicate" type="text" name="duplicateOf" value={value('close', 'duplicateOf')} />
          <TextArea
            of="close"
            name="message"
            label="Message to the reporter"
            hint="(optional; nothing is emailed for spam)"
            value={value('close', 'message')}
          />
        </ActionForm>
      ) : null}
      {has('reopen') ? (
        <ActionForm {...common} name="reopen" title="Reopen" button="Reopen">
          <TextArea
            of="reopen"
            name="reason"
            label="Why?"
            hint="(kept as a private note)"
            value={value('reopen', 'reason')}
            required
          />
        </ActionForm>
      ) : null}
      {props.canMessage ? (
        <ActionForm {...common} name="message" title="Message the reporter" button="Send">
          <TextArea
            of="message"
            name="message"
            label="Message"
            hint="(the reporter sees it, and gets it by email if they gave an address)"
            value={value('message', 'message')}
            required
          />
        </ActionForm>
      ) : null}
      {props.canNote ? (
        <ActionForm {...common} name="note" title="Private note" button="Add note">
          <TextArea
            of="note"
            name="body"
            label="Note"
            hint="(team only: never shown to the reporter, never emailed)"
            value={value('note', 'body')}
            required
          />
        </ActionForm>
      ) : null}
    </section>
  );
}
