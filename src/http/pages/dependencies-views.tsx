import type { DomainError } from '../../errors.js';
import type { Member, Project, ReleaseBranch } from '../../domain/projects/projects.js';
import {
  type Finding,
  FINDING_STATES,
  type FindingState,
  NOT_AFFECTED_JUSTIFICATIONS,
} from '../../domain/scan/findings.js';
import type { Inventory } from '../../domain/scan/inventories.service.js';
import { CsrfField } from '../views/layout.js';
import { RemoveButton } from '../views/remove-button.js';
import { when } from '../views/time.js';
import { ErrorNotice, invalidIf } from './forms.js';

// The views of dependencies.tsx: each release branch with its registered lockfiles and SBOMs (and
// the form that adds one), its findings, and the page of one finding with its triage form.

export const STATE_LABELS: Record<FindingState, string> = {
  in_triage: 'In triage',
  affected: 'Affected',
  not_affected: 'Not affected',
  fixed: 'Fixed',
};

const words = (s: string) => s.replace(/_/g, ' ');

export interface FindingsQuery {
  state: FindingState | undefined;
  overdue: boolean;
  gone: boolean;
}

function FilterForm({ project, query }: { project: Project; query: FindingsQuery }) {
  return (
    <form method="get" action={`/p/${project.slug}/dependencies`} class="filters" aria-label="Filter the findings">
      <label for="filter-state">State</label>
      <select id="filter-state" name="state">
        <option value="">Any</option>
        {FINDING_STATES.map((s) => (
          <option key={s} value={s} selected={query.state === s}>
            {STATE_LABELS[s]}
          </option>
        ))}
      </select>
      <label class="check">
        <input type="checkbox" name="overdue" value="1" checked={query.overdue} /> Overdue only
      </label>
      <label class="check">
        <input type="checkbox" name="gone" value="1" checked={query.gone} /> Include gone ones
      </label>
      <button type="submit" class="secondary">
        Filter
      </button>
    </form>
  );
}

function Due({ finding }: { finding: Finding }) {
  if (finding.overdue) return <span class="overdue">Overdue since {when(finding.dueAt)}</span>;
  if (!finding.present) return <span class="muted">Gone {when(finding.goneAt)}</span>;
  if (finding.resolvedAt) return <span class="muted">Resolved {when(finding.resolvedAt)}</span>;
  return <span class="due">{when(finding.dueAt)}</span>;
}

export function VulnLink({ finding }: { finding: Finding }) {
  return finding.advisoryUrl ? (
    <a href={finding.advisoryUrl} rel="noopener noreferrer">
      {finding.vulnId}
    </a>
  ) : (
    <>{finding.vulnId}</>
  );
}

function FindingsTable({ project, findings }: { project: Project; findings: Finding[] }) {
  if (findings.length === 0) return <p class="muted">No findings here.</p>;
  return (
    <table class="findings">
      <thead>
        <tr>
          <th>Package</th>
          <th>Vulnerability</th>
          <th>Severity</th>
          <th>Fixed in</th>
          <th>State</th>
          <th>Owner</th>
          <th>Due</th>
        </tr>
      </thead>
      <tbody>
        {findings.map((f) => (
          <tr key={f.id} data-finding={f.vulnId}>
            <td>
              <code>
                {f.name}@{f.version}
              </code>{' '}
              <span class="muted">{f.ecosystem}</span>
            </td>
            <td>
              <VulnLink finding={f} />
              {f.aliases.length ? <span class="muted"> {f.aliases.join(', ')}</span> : null}
            </td>
            <td>
              <span class={`badge sev-${f.severity}`}>{f.severity}</span>
            </td>
            <td>{f.fixedVersion ?? <span class="muted">none yet</span>}</td>
            <td>
              <a href={`/p/${project.slug}/dependencies/findings/${f.id}`}>{STATE_LABELS[f.state]}</a>
              {f.justification ? <span class="muted"> ({words(f.justification)})</span> : null}
            </td>
            <td>{f.owner?.name ?? <span class="muted">nobody</span>}</td>
            <td>
              <Due finding={f} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function UploadForm(props: { project: Project; branch: ReleaseBranch; csrf: string; formats: string[] }) {
  const id = (what: string) => `${what}-${props.branch.id}`;
  return (
    <form
      method="post"
      action={`/p/${props.project.slug}/dependencies/branches/${props.branch.id}/inventories`}
      enctype="multipart/form-data"
    >
      <CsrfField token={props.csrf} />
      <label for={id('file')}>Lockfile or SBOM</label>
      <input id={id('file')} type="file" name="file" />
      <label for={id('content')}>
        Or its text, pasted <span class="hint">(then give its name)</span>
      </label>
      <textarea id={id('content')} name="content" rows={4} />
      <label for={id('name')}>
        Name <span class="hint">(its path in the repository, e.g. web/package-lock.json; empty: the file’s name)</span>
      </label>
      <input id={id('name')} name="name" type="text" maxLength={200} />
      <label for={id('format')}>Format</label>
      <select id={id('format')} name="format">
        <option value="">Tell from the name</option>
        {props.formats.map((f) => (
          <option key={f} value={f}>
            {f}
          </option>
        ))}
      </select>
      <button type="submit">Register it</button>
    </form>
  );
}

export interface BranchView {
  branch: ReleaseBranch;
  inventories: Inventory[];
  findings: Finding[];
}

export function DependenciesPage(props: {
  project: Project;
  csrf: string;
  branches: BranchView[];
  query: FindingsQuery;
  formats: string[];
  canManage: boolean;
  notice?: string;
  error?: { branchId: string; error: DomainError };
}) {
  const { project } = props;
  return (
    <section>
      <p class="muted">
        <a href={`/p/${project.slug}/inbox`}>{project.name}</a>
      </p>
      <h1>{project.name}: dependencies</h1>
      <p>
        Each release branch’s lockfiles and SBOMs, registered here or by CI (<code>PUT</code>{' '}
        <code>/api/v1/projects/{project.slug}/branches/&lt;branch&gt;/inventories/&lt;name&gt;</code>), are checked
        against the vulnerability database whenever either changes.
      </p>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      {props.branches.length === 0 ? (
        <p class="muted">
          This project has no release branches yet: add them under{' '}
          <a href={`/p/${project.slug}/settings/branches`}>release branches</a>.
        </p>
      ) : (
        <FilterForm project={project} query={props.query} />
      )}
      {props.branches.map(({ branch, inventories, findings }) => (
        <section key={branch.id} id={`branch-${branch.id}`} data-branch={branch.name}>
          <h2>
            {branch.name}
            {branch.endOfSupport ? <span class="muted"> (supported until {branch.endOfSupport})</span> : null}
          </h2>
          {inventories.length === 0 ? (
            <p class="muted">No lockfile or SBOM registered.</p>
          ) : (
            <table class="inventories">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Format</th>
                  <th>Packages</th>
                  <th>Registered</th>
                  <th>
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {inventories.map((i) => (
                  <tr key={i.id} data-inventory={i.name}>
                    <td>
                      <code>{i.name}</code>
                    </td>
                    <td>{i.format}</td>
                    <td>{i.packageCount}</td>
                    <td>
                      {when(i.uploadedAt)} by {i.uploadedBy}
                    </td>
                    <td class="actions">
                      {props.canManage ? (
                        <RemoveButton
                          action={`/p/${project.slug}/dependencies/inventories/${i.id}/remove`}
                          csrf={props.csrf}
                        />
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {props.canManage ? (
            <details open={props.error?.branchId === branch.id || inventories.length === 0}>
              <summary>Register a lockfile or SBOM</summary>
              {props.error?.branchId === branch.id ? <ErrorNotice error={props.error.error} /> : null}
              <UploadForm project={project} branch={branch} csrf={props.csrf} formats={props.formats} />
            </details>
          ) : null}
          <h3>Findings</h3>
          <FindingsTable project={project} findings={findings} />
        </section>
      ))}
    </section>
  );
}

/** The triage form's fields, as submitted or as stored. */
export type TriageValues = Record<'state' | 'justification' | 'owner' | 'note', string>;

export function FindingPage(props: {
  project: Project;
  csrf: string;
  finding: Finding;
  members: Member[];
  canTriage: boolean;
  saved?: boolean;
  error?: DomainError;
  values?: TriageValues;
}) {
  const { project, finding: f, error } = props;
  const v = props.values ?? {
    state: f.state,
    justification: f.justification ?? '',
    owner: f.owner?.userId ?? '',
    note: f.note,
  };
  return (
    <section data-finding-page={f.id}>
      <p class="muted">
        <a href={`/p/${project.slug}/dependencies`}>{project.name}: dependencies</a> · {f.branchName}
      </p>
      <h1>
        <VulnLink finding={f} /> in{' '}
        <code>
          {f.name}@{f.version}
        </code>
      </h1>
      <p>{f.summary}</p>
      <dl>
        <dt>Ecosystem</dt>
        <dd>{f.ecosystem}</dd>
        <dt>Also known as</dt>
        <dd>{f.aliases.length ? f.aliases.join(', ') : 'no other id'}</dd>
        <dt>Severity</dt>
        <dd>
          <span class={`badge sev-${f.severity}`}>{f.severity}</span>
        </dd>
        <dt>Fixed in</dt>
        <dd>{f.fixedVersion ?? 'no fixed version yet'}</dd>
        <dt>First seen</dt>
        <dd>{when(f.firstSeenAt)}</dd>
        <dt>Due</dt>
        <dd>
          <Due finding={f} />
        </dd>
      </dl>
      {props.saved ? (
        <p class="notice" role="status">
          Saved.
        </p>
      ) : null}
      <ErrorNotice error={error} />
      {props.canTriage ? (
        <form method="post" action={`/p/${project.slug}/dependencies/findings/${f.id}`}>
          <CsrfField token={props.csrf} />
          <label for="state">State</label>
          <select id="state" name="state" aria-invalid={invalidIf(error, 'state')}>
            {FINDING_STATES.map((s) => (
              <option key={s} value={s} selected={v.state === s}>
                {STATE_LABELS[s]}
              </option>
            ))}
          </select>
          <label for="justification">
            Justification <span class="hint">(with “not affected” only)</span>
          </label>
          <select id="justification" name="justification" aria-invalid={invalidIf(error, 'justification')}>
            <option value="">—</option>
            {NOT_AFFECTED_JUSTIFICATIONS.map((j) => (
              <option key={j} value={j} selected={v.justification === j}>
                {words(j)}
              </option>
            ))}
          </select>
          <label for="owner">Owner</label>
          <select id="owner" name="owner" aria-invalid={invalidIf(error, 'owner')}>
            <option value="">Nobody</option>
            {props.members.map((m) => (
              <option key={m.userId} value={m.userId} selected={v.owner === m.userId}>
                {m.name}
              </option>
            ))}
          </select>
          <label for="note">Note</label>
          <textarea id="note" name="note" rows={4} aria-invalid={invalidIf(error, 'note')}>
            {v.note}
          </textarea>
          <button type="submit">Save</button>
        </form>
      ) : null}
    </section>
  );
}
