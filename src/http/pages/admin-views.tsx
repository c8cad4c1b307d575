import type { Project } from '../../domain/projects/projects.js';
import type { SetupLink } from '../../domain/users/setup.service.js';
import type { User } from '../../domain/users/users.js';
import type { DomainError } from '../../errors.js';
import { CsrfField } from '../views/layout.js';
import { ErrorNotice, invalidIf } from './forms.js';

// The pages of admin.tsx: users and projects of the instance.

export type Values = Record<string, string>;

export function AdminNav() {
  return (
    <nav class="tabs">
      <a href="/admin">Overview</a>
      <a href="/admin/users">Users</a>
      <a href="/admin/projects">Projects</a>
      <a href="/admin/mail">Outgoing mail</a>
    </nav>
  );
}

export function NewLink({ user, link }: { user: User; link: SetupLink | null }) {
  if (!link) {
    return (
      <div class="notice" data-setup-link-mailed>
        <p>
          A new setup link was emailed to <strong>{user.email}</strong>. It is not shown here: this account belongs to a
          project, so only its owner may hold the link.
        </p>
      </div>
    );
  }
  return (
    <div class="notice" data-setup-link>
      <p>
        A setup link was emailed to <strong>{user.email}</strong>. It is shown only this once, valid until{' '}
        <time datetime={link.expiresAt}>{link.expiresAt.slice(0, 16).replace('T', ' ')} UTC</time>:
      </p>
      <p>
        <code class="secret">{link.url}</code>
      </p>
    </div>
  );
}

export interface UsersProps {
  csrf: string;
  users: User[];
  meId: string;
  created?: { user: User; link: SetupLink | null };
  error?: DomainError;
  values?: Values;
}

export function UsersPage({ csrf, users, meId, created, error, values = {} }: UsersProps) {
  const post = (user: User, action: string, label: string, extra?: Values, danger?: boolean) => (
    <form method="post" action={`/admin/users/${user.id}/${action}`} class="inline">
      <CsrfField token={csrf} />
      {Object.entries(extra ?? {}).map(([k, v]) => (
        <input key={k} type="hidden" name={k} value={v} />
      ))}
      <button type="submit" class={danger ? 'secondary danger' : 'secondary'}>
        {label}
      </button>
    </form>
  );
  return (
    <section>
      <AdminNav />
      <h1>Users</h1>
      {created ? <NewLink user={created.user} link={created.link} /> : null}
      <ErrorNotice error={error} />
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Status</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-user={u.email}>
              <td>
                {u.name}
                {u.id === meId ? <span class="muted"> (you)</span> : null}
              </td>
              <td>{u.email}</td>
              <td>
                {u.isInstanceAdmin ? <span class="badge">instance admin</span> : null}{' '}
                {u.disabled ? <span class="badge">disabled</span> : null}{' '}
                {u.hasPassword ? null : <span class="badge">setup pending</span>}
              </td>
              <td class="actions">
                {u.disabled ? post(u, 'enable', 'Enable') : post(u, 'disable', 'Disable', undefined, true)}
                {u.isInstanceAdmin
                  ? post(u, 'instance-admin', 'Remove instance admin', { grant: '0' })
                  : post(u, 'instance-admin', 'Make instance admin', { grant: '1' })}
                {u.hasPassword ? null : post(u, 'setup-link', 'Send new setup link')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Add a user</h2>
      <p class="muted">The new user gets an email with a one-time link to choose a password.</p>
      <form method="post" action="/admin/users">
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
        <label for="name">Name</label>
        <input
          id="name"
          type="text"
          name="name"
          value={values.name ?? ''}
          required
          aria-invalid={invalidIf(error, 'name')}
        />
        <label class="check">
          <input type="checkbox" name="isInstanceAdmin" value="1" checked={values.isInstanceAdmin === '1'} /> Instance
          admin (manages users and projects)
        </label>
        <button type="submit">Create user</button>
      </form>
    </section>
  );
}

export interface ProjectsProps {
  csrf: string;
  projects: Project[];
  error?: DomainError;
  values?: Values;
}

export function ProjectsPage({ csrf, projects, error, values = {} }: ProjectsProps) {
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
      <AdminNav />
      <h1>Projects</h1>
      <table>
        <thead>
          <tr>
            <th>Project</th>
            <th>Slug</th>
            <th>Acknowledgement target</th>
          </tr>
        </thead>
        <tbody>
          {projects.map((p) => (
            <tr key={p.id}>
              <td>
                <a href={`/p/${p.slug}/settings`}>{p.name}</a>
              </td>
              <td>
                <code>{p.slug}</code>
              </td>
              <td>{p.ackTargetHours} h</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Create a project</h2>
      <ErrorNotice error={error} />
      <form method="post" action="/admin/projects">
        <CsrfField token={csrf} />
        {input('name', 'Name')}
        {input('slug', 'Slug', 'text', '(in URLs: lowercase letters, digits and hyphens; cannot change later)')}
        {input('repositoryUrl', 'Repository URL', 'url', '(optional)')}
        {input('securityContact', 'Security contact', 'text', '(optional: an email address or URL)')}
        {input('ackTargetHours', 'Acknowledgement target in hours', 'number', '(default 24)')}
        {input('initialAdminEmail', 'Initial project admin', 'email', '(optional: the email of an existing user)')}
        <button type="submit">Create project</button>
      </form>
    </section>
  );
}
