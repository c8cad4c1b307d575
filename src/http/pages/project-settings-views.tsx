import type { Member, Project, ReleaseBranch } from '../../domain/projects/projects.js';
import { DEFAULT_ACK_TEMPLATE } from '../../domain/reports/ack-template.js';
import type { DomainError } from '../../errors.js';
import { CsrfField } from '../views/layout.js';
import { ErrorNotice, invalidIf } from './forms.js';
import { RemoveButton } from '../views/remove-button.js';

// The pages of project-settings.tsx: settings form, release branches and members.

export type Values = Record<string, string>;

export function SettingsNav({ project }: { project: Project }) {
  const base = `/p/${project.slug}/settings`;
  return (
    <nav class="tabs">
      <a href={`/p/${project.slug}/inbox`}>Inbox</a>
      <a href={base}>Settings</a>
      <a href={`${base}/branches`}>Release branches</a>
      <a href={`${base}/severity`}>Severity policy</a>
      <a href={`${base}/members`}>Members</a>
      <a href={`${base}/mail`}>Mail intake</a>
      <a href={`${base}/imap`}>Mailboxes (IMAP)</a>
      <a href={`${base}/pgp`}>OpenPGP key</a>
      <a href={`${base}/webhooks`}>Webhooks</a>
      <a href={`${base}/embargo`}>Embargo policy</a>
      <a href={`${base}/distributors`}>Distributors</a>
      <a href={`${base}/lists`}>Mailing lists</a>
      <a href={`${base}/announcements`}>Announcements</a>
      <a href={`${base}/security`}>Security settings</a>
      <a href={`${base}/cve-ids`}>CVE ids</a>
      <a href={`${base}/dependents`}>Dependencies to watch</a>
    </nav>
  );
}

export function SettingsForm(props: {
  csrf: string;
  project: Project;
  values: Values;
  error?: DomainError;
  saved?: boolean;
}) {
  const { project, values, error } = props;
  const input = (name: string, label: string, type = 'text', hint?: string) => (
    <>
      <label for={name}>
        {label} {hint ? <span class="hint">{hint}</span> : null}
      </label>
      <input id={name} type={type} name={name} value={values[name] ?? ''} aria-invalid={invalidIf(error, name)} />
    </>
  );
  return (
    <section>
      <SettingsNav project={project} />
      <h1>{project.name}: settings</h1>
      {props.saved ? <p class="notice">Saved.</p> : null}
      <ErrorNotice error={error} />
      <form method="post" action={`/p/${project.slug}/settings`}>
        <CsrfField token={props.csrf} />
        <p class="muted">
          Slug: <code>{project.slug}</code> (fixed: reporters' links carry it)
        </p>
        {input('name', 'Name')}
        {input('repositoryUrl', 'Repository URL', 'url', '(optional)')}
        {input('securityContact', 'Security contact', 'text', '(optional: an email address or URL)')}
        {input('ackTargetHours', 'Acknowledgement target in hours', 'number')}
        <label for="ackTemplate">
          Acknowledgement template{' '}
          <span class="hint">
            (placeholders: {'{{reporter_name}}'}, {'{{project_name}}'}, {'{{tracking_id}}'}; empty restores the default)
          </span>
        </label>
        <textarea id="ackTemplate" name="ackTemplate" rows={12} aria-invalid={invalidIf(error, 'ackTemplate')}>
          {values.ackTemplate ?? ''}
        </textarea>
        <button type="submit">Save settings</button>
      </form>
    </section>
  );
}

export function BranchesPage(props: {
  csrf: string;
  project: Project;
  branches: ReleaseBranch[];
  values?: Values;
  error?: DomainError;
}) {
  const { csrf, project, values = {}, error } = props;
  const base = `/p/${project.slug}/settings/branches`;
  return (
    <section>
      <SettingsNav project={project} />
      <h1>{project.name}: release branches</h1>
      <ErrorNotice error={error} />
      <table>
        <thead>
          <tr>
            <th>Branch</th>
            <th>End of support</th>
            <th>Remove</th>
          </tr>
        </thead>
        <tbody>
          {props.branches.map((b) => (
            <tr key={b.id} data-branch={b.name}>
              <td>{b.name}</td>
              <td>
                <form method="post" action={`${base}/${b.id}`} class="row">
                  <CsrfField token={csrf} />
                  <input
                    type="date"
                    name="endOfSupport"
                    value={b.endOfSupport ?? ''}
                    aria-label={`End of support of ${b.name}`}
                  />
                  <button type="submit" class="secondary">
                    Save date
                  </button>
                </form>
              </td>
              <td>
                <RemoveButton action={`${base}/${b.id}/remove`} csrf={csrf} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Add a branch</h2>
      <form method="post" action={base}>
        <CsrfField token={csrf} />
        <label for="name">Name</label>
        <input
          id="name"
          type="text"
          name="name"
          value={values.name ?? ''}
          maxlength={100}
          required
          aria-invalid={invalidIf(error, 'name')}
        />
        <label for="endOfSupport">
          End of support <span class="hint">(YYYY-MM-DD; empty while supported)</span>
        </label>
        <input
          id="endOfSupport"
          type="date"
          name="endOfSupport"
          value={values.endOfSupport ?? ''}
          aria-invalid={invalidIf(error, 'endOfSupport')}
        />
        <button type="submit">Add branch</button>
      </form>
    </section>
  );
}

export function RoleSelect({ value, id }: { value: string; id?: string }) {
  return (
    <select name="role" id={id}>
      <option value="security" selected={value === 'security'}>
        security (triage reports)
      </option>
      <option value="admin" selected={value === 'admin'}>
        admin (also settings and members)
      </option>
    </select>
  );
}

export function MembersPage(props: {
  csrf: string;
  project: Project;
  members: Member[];
  /** Whether the viewer may change members (the project's admins; instance admins only while it has none). */
  canChange: boolean;
  values?: Values;
  error?: DomainError;
}) {
  const { csrf, project, canChange, values = {}, error } = props;
  const base = `/p/${project.slug}/settings/members`;
  return (
    <section>
      <SettingsNav project={project} />
      <h1>{project.name}: members</h1>
      <ErrorNotice error={error} />
      {canChange ? null : (
        <p class="muted" data-members-readonly>
          Only the project's admins add, change and remove its members.
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
            {canChange ? <th>Remove</th> : null}
          </tr>
        </thead>
        <tbody>
          {props.members.map((m) => (
            <tr key={m.userId} data-member={m.email}>
              <td>{m.name}</td>
              <td>{m.email}</td>
              <td>
                {canChange ? (
                  <form method="post" action={`${base}/${m.userId}/role`} class="row">
                    <CsrfField token={csrf} />
                    <RoleSelect value={m.role} />
                    <button type="submit" class="secondary">
                      Change
                    </button>
                  </form>
                ) : (
                  m.role
                )}
              </td>
              {canChange ? (
                <td>
                  <RemoveButton action={`${base}/${m.userId}/remove`} csrf={csrf} />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {canChange ? (
        <>
          <h2>Add a member</h2>
          <p class="muted">The person needs an account on this instance; an instance admin creates accounts.</p>
          <form method="post" action={base}>
            <CsrfField token={csrf} />
            <label for="email">Email address</label>
            <input
              id="email"
              type="email"
              name="email"
              value={values.email ?? ''}
              required
              aria-invalid={invalidIf(error, 'email')}
            />
            <label for="role">Role</label>
            <RoleSelect id="role" value={values.role ?? 'security'} />
            <button type="submit">Add member</button>
          </form>
        </>
      ) : null}
    </section>
  );
}

export function settingsValues(project: Project): Values {
  return {
    name: project.name,
    repositoryUrl: project.repositoryUrl ?? '',
    securityContact: project.securityContact ?? '',
    ackTargetHours: String(project.ackTargetHours),
    ackTemplate: project.ackTemplate ?? DEFAULT_ACK_TEMPLATE,
  };
}
