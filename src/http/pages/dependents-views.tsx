import type { CurrentMatch, InventoryInput, Registration } from '../../domain/scan/dependents.js';
import { DomainError } from '../../errors.js';
import { CsrfField } from '../views/layout.js';
import { when } from '../views/time.js';
import { invalidIf } from './forms.js';
import type { SubmittedForm } from './multipart-form.js';

// Pieces shared by the dependents' pages (the public subscription and manage pages, the project's
// settings page): the registration form (a file, or package URLs), the list of registrations and
// the table of what currently affects them.

/** The registration of a submitted form: the file when one was chosen, else the package URLs typed. */
export function inventoryOf(form: SubmittedForm): InventoryInput {
  const file = form.files[0];
  if (file) return { kind: 'file', fileName: file.filename, text: file.content.toString('utf8') };
  const purls = form.fields.purls ?? '';
  if (purls.trim()) return { kind: 'purls', text: purls };
  throw new DomainError('VALIDATION_FAILED', 'Choose a lockfile or SBOM, or list package URLs.', { field: 'file' });
}

/** The file input and package-URL textarea (inside a multipart form that works without JavaScript). */
export function RegistrationFields(props: { purls: string; error: DomainError | undefined }) {
  return (
    <>
      <label for="dependents-file">
        A lockfile or SBOM{' '}
        <span class="hint">(named as its tool names it: package-lock.json, Cargo.lock, go.mod...)</span>
      </label>
      <input id="dependents-file" type="file" name="file" aria-invalid={invalidIf(props.error, 'file')} />
      <label for="dependents-purls">
        Or package URLs, one per line{' '}
        <span class="hint">(pkg:npm/lodash@4.17.20; without a version, every version of the package)</span>
      </label>
      <textarea id="dependents-purls" name="purls" rows={6} aria-invalid={invalidIf(props.error, 'purls')}>
        {props.purls}
      </textarea>
    </>
  );
}

/** The registrations, with a remove button each when `removeAction` says where it posts (the id as `registration`). */
export function RegistrationList(props: {
  registrations: Registration[];
  removeAction: ((r: Registration) => string) | null;
  csrf: string;
}) {
  if (props.registrations.length === 0) return <p class="muted">No registration.</p>;
  return (
    <table class="dependent-registrations">
      <thead>
        <tr>
          <th>Registration</th>
          <th>Format</th>
          <th>Packages</th>
          <th>Uploaded</th>
          {props.removeAction ? <th>Remove</th> : null}
        </tr>
      </thead>
      <tbody>
        {props.registrations.map((r) => (
          <tr key={r.id} data-registration={r.name}>
            <td>
              <code>{r.name}</code>
            </td>
            <td>{r.format}</td>
            <td>{r.packageCount}</td>
            <td>{when(r.uploadedAt)}</td>
            {props.removeAction ? (
              <td>
                <form method="post" action={props.removeAction(r)} class="inline">
                  <CsrfField token={props.csrf} />
                  <input type="hidden" name="registration" value={r.id} />
                  <button type="submit" class="secondary danger">
                    Remove
                  </button>
                </form>
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What the vulnerability database says affects the registrations now. */
export function CurrentMatches({ matches }: { matches: CurrentMatch[] }) {
  if (matches.length === 0) {
    return (
      <p class="muted" data-current-matches="0">
        No known advisory affects these packages now.
      </p>
    );
  }
  return (
    <table class="dependent-matches" data-current-matches={matches.length}>
      <thead>
        <tr>
          <th>Package</th>
          <th>Advisory</th>
          <th>Upgrade to</th>
        </tr>
      </thead>
      <tbody>
        {matches.map((m) => (
          <tr key={`${m.vulnId} ${m.ecosystem} ${m.name} ${m.version}`} data-match={m.vulnId}>
            <td>
              <code>
                {m.name} {m.version === '' ? '(some version)' : m.version}
              </code>{' '}
              <span class="muted">{m.ecosystem}</span>
            </td>
            <td>
              <code>{m.vulnId}</code> {m.summary}
            </td>
            <td>
              {m.fixedVersion ?? (m.knownFixes.length > 0 ? `fixed in ${m.knownFixes.join(', ')}` : 'no fix known')}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
