import type { Distributor, DistributorProgram, TermsAcceptance } from '../../domain/distributors/distributors.js';
import type { DistributorCaseNotice } from '../../domain/distributors/settings.repository.js';
import type { Project } from '../../domain/projects/projects.js';
import type { DomainError } from '../../errors.js';
import { CsrfField } from '../views/layout.js';
import { RemoveButton } from '../views/remove-button.js';
import { when } from '../views/time.js';
import { ErrorNotice, invalidIf } from './forms.js';
import { SettingsNav, type Values } from './project-settings-views.js';

// The pages of distributor-settings.tsx: the programme with its distributors, and one distributor
// with its contacts, its acceptances of the terms and the cases it was told of.

/** A failed form: what was typed and why it was refused. */
export interface Refused {
  values: Values;
  error: DomainError;
}

const settingsBase = (project: Project) => `/p/${project.slug}/settings/distributors`;

/** The refusal's message beside the input it is about. */
function FieldError({ error, name, form }: { error: DomainError | undefined; name: string; form: string }) {
  if (error?.details?.field !== name) return null;
  return (
    <p class="notice error" id={`${form}-${name}-error`} data-field-error={name}>
      {error.message}
    </p>
  );
}

/** Whether the distributor accepted the current terms, in words. */
export function AcceptanceWords({ distributor, program }: { distributor: Distributor; program: DistributorProgram }) {
  const latest = distributor.acceptance;
  if (distributor.acceptedCurrentTerms && latest) {
    return (
      <span data-accepted="current">
        accepted version {latest.termsVersion}, {when(latest.acceptedAt)}
      </span>
    );
  }
  return (
    <span data-accepted={latest ? 'older' : 'never'}>
      <span class="badge">not the current terms</span>{' '}
      <span class="muted">
        {latest
          ? `last accepted version ${latest.termsVersion}, ${when(latest.acceptedAt)}; the current one is ${program.termsVersion}`
          : 'never accepted'}
        : not notified until it accepts
      </span>
    </span>
  );
}

function ProgramForm(props: { csrf: string; project: Project; program: DistributorProgram; refused?: Refused }) {
  const { program, refused } = props;
  const values = refused?.values ?? { criteria: program.criteria, terms: program.terms };
  const error = refused?.error;
  return (
    <form method="post" action={`${settingsBase(props.project)}/program`}>
      <CsrfField token={props.csrf} />
      <ErrorNotice error={error} />
      <label for="criteria">
        Membership criteria{' '}
        <span class="hint">Who may join the programme, shown on the project's public page. Markdown.</span>
      </label>
      <textarea id="criteria" name="criteria" rows={10} required aria-invalid={invalidIf(error, 'criteria')}>
        {values.criteria ?? ''}
      </textarea>
      <FieldError error={error} name="criteria" form="program" />
      <label for="terms">
        Embargo terms{' '}
        <span class="hint">
          What each distributor accepts, in the distributor portal or in writing, before it is told of a case: the
          current terms are version <strong data-terms-version={program.termsVersion}>{program.termsVersion}</strong>
          {program.updatedAt ? `, last changed ${when(program.updatedAt)}` : ' (the built-in text)'}. Markdown.
        </span>
      </label>
      <textarea id="terms" name="terms" rows={12} required aria-invalid={invalidIf(error, 'terms')}>
        {values.terms ?? ''}
      </textarea>
      <FieldError error={error} name="terms" form="program" />
      <p class="notice" data-terms-note>
        Changing the terms makes them version {program.termsVersion + 1}: every distributor must then accept them again,
        and until it does it is not notified of any new case. Changing only the criteria changes no acceptance.
      </p>
      <button type="submit">Save the programme</button>
    </form>
  );
}

export function DistributorsPage(props: {
  csrf: string;
  project: Project;
  program: DistributorProgram;
  distributors: Distributor[];
  noticeCounts: Map<string, number>;
  programRefused?: Refused;
  adding?: Refused;
  notice?: string;
}) {
  const { csrf, project, program, distributors, adding } = props;
  const base = settingsBase(project);
  return (
    <section>
      <SettingsNav project={project} />
      <h1>{project.name}: distributors</h1>
      <p>
        Distributors (Linux distributions, vendors, hosting providers) hear of a fix ahead of its release, under
        embargo: on the notice day each of their contacts gets the advisory draft and the patches, so their users are
        protected the day it is public. Only a distributor that accepted the current terms, and has a contact, is
        notified.
      </p>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      <h2>The programme</h2>
      <ProgramForm csrf={csrf} project={project} program={program} refused={props.programRefused} />

      <h2>Distributors</h2>
      {distributors.length === 0 ? (
        <p class="muted">No distributor yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Contacts</th>
              <th>Terms</th>
              <th>Cases notified</th>
            </tr>
          </thead>
          <tbody>
            {distributors.map((d) => (
              <tr key={d.id} data-distributor={d.id}>
                <td>
                  <a href={`${base}/${d.id}`}>{d.name}</a>
                  {d.website ? <span class="muted"> {d.website}</span> : null}
                </td>
                <td data-contacts={d.contacts.length}>
                  {d.contacts.length === 0 ? <span class="badge">none: not notified</span> : d.contacts.length}
                </td>
                <td>
                  <AcceptanceWords distributor={d} program={program} />
                </td>
                <td data-notified={props.noticeCounts.get(d.id) ?? 0}>{props.noticeCounts.get(d.id) ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Add a distributor</h3>
      <ErrorNotice error={adding?.error} />
      <form method="post" action={base}>
        <CsrfField token={csrf} />
        <label for="name">
          Name <span class="hint">The organisation, e.g. Debian or Example Cloud.</span>
        </label>
        <input
          id="name"
          type="text"
          name="name"
          required
          maxlength={200}
          value={adding?.values.name ?? ''}
          aria-invalid={invalidIf(adding?.error, 'name')}
        />
        <FieldError error={adding?.error} name="name" form="add" />
        <label for="website">
          Website <span class="hint">(optional) http:// or https://</span>
        </label>
        <input
          id="website"
          type="url"
          name="website"
          maxlength={500}
          value={adding?.values.website ?? ''}
          aria-invalid={invalidIf(adding?.error, 'website')}
        />
        <FieldError error={adding?.error} name="website" form="add" />
        <button type="submit">Add distributor</button>
      </form>
    </section>
  );
}

function ContactsTable(props: { csrf: string; base: string; distributor: Distributor }) {
  const { distributor } = props;
  if (distributor.contacts.length === 0) {
    return <p class="muted">No contact yet: this distributor is not notified of any case until it has one.</p>;
  }
  return (
    <table>
      <thead>
        <tr>
          <th>Name</th>
          <th>Email</th>
          <th>OpenPGP key</th>
          <th>Added</th>
          <th>Remove</th>
        </tr>
      </thead>
      <tbody>
        {distributor.contacts.map((c) => (
          <tr key={c.id} data-contact={c.id}>
            <td>{c.name}</td>
            <td>{c.email}</td>
            <td>
              {c.pgpFingerprint ? (
                <code class="fingerprint" data-fingerprint>
                  {c.pgpFingerprint}
                </code>
              ) : (
                <span class="badge" data-no-key>
                  no key: mail goes unencrypted
                </span>
              )}
            </td>
            <td>{when(c.createdAt)}</td>
            <td>
              <RemoveButton action={`${props.base}/contacts/${c.id}/remove`} csrf={props.csrf} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DistributorPage(props: {
  csrf: string;
  project: Project;
  program: DistributorProgram;
  distributor: Distributor;
  acceptances: TermsAcceptance[];
  notices: DistributorCaseNotice[];
  contactRefused?: Refused;
  acceptRefused?: Refused;
  notice?: string;
}) {
  const { csrf, project, program, distributor, contactRefused, acceptRefused } = props;
  const base = `${settingsBase(project)}/${distributor.id}`;
  const contact = contactRefused?.values ?? {};
  return (
    <section>
      <SettingsNav project={project} />
      <p>
        <a href={settingsBase(project)}>All distributors</a>
      </p>
      <h1>
        {project.name}: distributor {distributor.name}
      </h1>
      <p class="muted">
        Added {when(distributor.createdAt)}
        {distributor.website ? (
          <>
            {' '}
            ·{' '}
            <a href={distributor.website} rel="nofollow noopener noreferrer">
              {distributor.website}
            </a>
          </>
        ) : null}
      </p>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}

      <h2>Contacts</h2>
      <p class="muted">
        Each contact signs in to the distributor portal, which shows the notices sent to this distributor, and gets each
        notice by mail, encrypted to their OpenPGP key when they have one.
      </p>
      <ContactsTable csrf={csrf} base={base} distributor={distributor} />
      <h3>Add a contact</h3>
      <p class="muted">
        A new address gets an account and a welcome mail with a link to choose a password; an existing account gets the
        welcome mail only.
      </p>
      <ErrorNotice error={contactRefused?.error} />
      <form method="post" action={`${base}/contacts`}>
        <CsrfField token={csrf} />
        <label for="contact-email">Email address</label>
        <input
          id="contact-email"
          type="email"
          name="email"
          required
          value={contact.email ?? ''}
          aria-invalid={invalidIf(contactRefused?.error, 'email')}
        />
        <FieldError error={contactRefused?.error} name="email" form="contact" />
        <label for="contact-name">
          Name <span class="hint">(optional for a new account: the address's local part is used)</span>
        </label>
        <input
          id="contact-name"
          type="text"
          name="name"
          maxlength={200}
          value={contact.name ?? ''}
          aria-invalid={invalidIf(contactRefused?.error, 'name')}
        />
        <FieldError error={contactRefused?.error} name="name" form="contact" />
        <label for="contact-key">
          OpenPGP public key{' '}
          <span class="hint">
            (optional) The armored key, from -----BEGIN PGP PUBLIC KEY BLOCK----- to its END line. Mail to this contact
            is then encrypted to it, the welcome mail included; without one, mail goes unencrypted.
          </span>
        </label>
        <textarea id="contact-key" name="pgpKey" rows={6} aria-invalid={invalidIf(contactRefused?.error, 'pgpKey')}>
          {contact.pgpKey ?? ''}
        </textarea>
        <FieldError error={contactRefused?.error} name="pgpKey" form="contact" />
        <button type="submit">Add contact</button>
      </form>

      <h2>Embargo terms</h2>
      <p data-acceptance>
        Current terms: version {program.termsVersion}. This distributor:{' '}
        <AcceptanceWords distributor={distributor} program={program} />.
      </p>
      {props.acceptances.length === 0 ? (
        <p class="muted">No acceptance recorded.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Version</th>
              <th>Accepted</th>
              <th>Recorded by</th>
              <th>Note</th>
            </tr>
          </thead>
          <tbody>
            {props.acceptances.map((a, i) => (
              <tr key={i} data-acceptance-row={a.termsVersion}>
                <td>{a.termsVersion}</td>
                <td>{when(a.acceptedAt)}</td>
                <td>{a.label}</td>
                <td>{a.note ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Record an acceptance given elsewhere</h3>
      <p class="muted">
        When the distributor accepted the current terms (version {program.termsVersion}) in writing rather than in the
        portal, record it here on its behalf, saying where it was given.
      </p>
      <ErrorNotice error={acceptRefused?.error} />
      <form method="post" action={`${base}/accept`}>
        <CsrfField token={csrf} />
        <label for="accept-note">
          Where it was given{' '}
          <span class="hint">
            e.g. signed mail from security@distro.example of 2026-03-01, kept in the team's archive
          </span>
        </label>
        <textarea
          id="accept-note"
          name="note"
          rows={3}
          required
          maxlength={2000}
          aria-invalid={invalidIf(acceptRefused?.error, 'note')}
        >
          {acceptRefused?.values.note ?? ''}
        </textarea>
        <FieldError error={acceptRefused?.error} name="note" form="accept" />
        <button type="submit">Record the acceptance</button>
      </form>

      <h2>Cases it was notified of</h2>
      {props.notices.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Case</th>
              <th>Notified</th>
            </tr>
          </thead>
          <tbody>
            {props.notices.map((n) => (
              <tr key={n.caseNumber} data-notified-case={n.caseNumber}>
                <td>
                  <a href={`/p/${project.slug}/cases/${n.caseNumber}`}>#{n.caseNumber}</a>
                </td>
                <td>{when(n.notifiedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Remove this distributor</h2>
      <p class="muted">
        Its contacts lose access to its notices at once and it is told of no further case. What it was sent stays on the
        cases.
      </p>
      <RemoveButton action={`${base}/remove`} csrf={csrf} label="Remove distributor" />
    </section>
  );
}
