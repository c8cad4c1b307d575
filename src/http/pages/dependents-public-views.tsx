import type { ComponentChildren } from 'preact';
import type { ManageView } from '../../domain/scan/dependents.service.js';
import type { DomainError } from '../../errors.js';
import { CsrfField } from '../views/layout.js';
import { CurrentMatches, RegistrationFields, RegistrationList } from './dependents-views.js';
import { ErrorNotice, invalidIf } from './forms.js';

// The public pages of ecosystem alerts (dependents-public.tsx serves them): the registration form,
// and the page of a manage link with its registrations, what affects them now, and its forms.

export function Page(props: { title: string; state: string; children: ComponentChildren }) {
  return (
    <section class="dependents" data-dependents-page={props.state}>
      <h1>{props.title}</h1>
      {props.children}
    </section>
  );
}

export interface SubscribeForm {
  name: string;
  email: string;
  purls: string;
  error?: DomainError;
}

export function SubscribePage(props: { csrf: string; form: SubscribeForm }) {
  const { form } = props;
  return (
    <Page title="Security alerts for what you depend on" state="subscribe">
      <p>
        Register the packages your software uses, as a lockfile or SBOM or as package URLs: you will get an email when
        an advisory published here, or one in this instance's vulnerability database, affects a version you registered,
        with the version that fixes it. You confirm the address first; every alert carries a link to change or end the
        registration.
      </p>
      <ErrorNotice error={form.error} />
      <form method="post" action="/dependents/subscribe" enctype="multipart/form-data">
        <CsrfField token={props.csrf} />
        <label for="dependents-name">
          Name <span class="hint">(your project or organisation, as the alerts will address you)</span>
        </label>
        <input
          id="dependents-name"
          name="name"
          required
          maxlength={200}
          value={form.name}
          aria-invalid={invalidIf(form.error, 'name')}
        />
        <label for="dependents-email">Email address</label>
        <input
          id="dependents-email"
          type="email"
          name="email"
          required
          maxlength={254}
          autocomplete="email"
          value={form.email}
          aria-invalid={invalidIf(form.error, 'email')}
        />
        <RegistrationFields purls={form.purls} error={form.error} />
        <button type="submit">Register</button>
      </form>
    </Page>
  );
}

export function ManagePage(props: {
  view: ManageView;
  token: string;
  csrf: string;
  notice?: string;
  purls?: string;
  error?: DomainError;
}) {
  const { view, token } = props;
  const base = `/dependents/manage/${token}`;
  if (view.dependent.status === 'unsubscribed') {
    return (
      <Page title="Unsubscribed" state="unsubscribed">
        <p>
          {view.dependent.name} is no longer registered: nothing more is sent, and the registrations were deleted. To
          hear of advisories again, <a href="/dependents/subscribe">register again</a>.
        </p>
      </Page>
    );
  }
  return (
    <Page title={`Registrations of ${view.dependent.name}`} state="manage">
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      <p class="muted">Keep this page's address to yourself: it lets whoever has it change the registration.</p>
      <h2>Registered</h2>
      <RegistrationList registrations={view.registrations} removeAction={() => `${base}/remove`} csrf={props.csrf} />
      <h2>What affects them now</h2>
      <p class="hint">Alerts tell of advisories published after a registration; these are the ones already known.</p>
      <CurrentMatches matches={view.matches} />
      <h2>Add or replace a registration</h2>
      <p class="hint">A file of the same name, or a new list of package URLs, replaces the one registered.</p>
      <ErrorNotice error={props.error} />
      <form method="post" action={base} enctype="multipart/form-data">
        <CsrfField token={props.csrf} />
        <RegistrationFields purls={props.purls ?? ''} error={props.error} />
        <button type="submit">Register</button>
      </form>
      <h2>Unsubscribe</h2>
      <form method="post" action={`${base}/unsubscribe`}>
        <CsrfField token={props.csrf} />
        <button type="submit" class="danger">
          Unsubscribe and delete the registrations
        </button>
      </form>
    </Page>
  );
}

export const NOTICES: Record<string, string> = {
  confirmed: 'Confirmed: you will be told of new advisories affecting these packages.',
  saved: 'Registered.',
  removed: 'Removed.',
};
