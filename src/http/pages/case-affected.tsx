import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import {
  addPackage,
  addRange,
  type AffectedPackage,
  type BranchStatus,
  branchStatuses,
  type CaseAffected,
  type CaseBranch,
  removePackage,
  removeRange,
  setBranchStatus,
} from '../../domain/cases/affected.service.js';
import type { Case } from '../../domain/cases/cases.js';
import { requireCase } from '../../domain/cases/cases.service.js';
import { commonEcosystems, ecosystemNames } from '../../domain/cases/ecosystems.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { authorize } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { RemoveButton } from '../views/remove-button.js';
import { field, formFailure } from './forms.js';
import { requireSignIn } from './require-user.js';
import { replyChangeRefused } from '../views/change-refused.js';

// The case page's "Affected versions" section (placed by cases.tsx) and the forms it posts to. Every
// form works without JavaScript; after a change the browser goes back to #affected.

const statusWords: Record<BranchStatus, string> = {
  affected: 'Affected',
  not_affected: 'Not affected',
  unknown: 'Unknown',
  fixed: 'Fixed',
};

export interface AffectedSectionProps {
  projectSlug: string;
  caseNumber: number;
  affected: CaseAffected;
  csrfToken: string;
  canEdit: boolean;
}

function SupportCell({ branch }: { branch: CaseBranch }) {
  if (!branch.supported) {
    return (
      <td>
        <span class="badge unsupported">Unsupported</span> <span class="muted">since {branch.endOfSupport}</span>
      </td>
    );
  }
  return <td>{branch.endOfSupport ? `Supported until ${branch.endOfSupport}` : 'Supported'}</td>;
}

function BranchRows({ props }: { props: AffectedSectionProps }) {
  const base = `/p/${props.projectSlug}/cases/${props.caseNumber}/affected`;
  return (
    <>
      {props.affected.branches.map((b) => {
        const formId = `branch-${b.branchId}`;
        return (
          <tr key={b.branchId} class={b.supported ? undefined : 'unsupported'} data-branch={b.name}>
            <th scope="row">{b.name}</th>
            <SupportCell branch={b} />
            {props.canEdit ? (
              <>
                <td>
                  <select name="status" form={formId} aria-label={`Status on ${b.name}`}>
                    {branchStatuses.map((s) => (
                      <option key={s} value={s} selected={s === b.status}>
                        {statusWords[s]}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <input
                    type="text"
                    name="fixedVersion"
                    form={formId}
                    value={b.fixedVersion ?? ''}
                    maxLength={100}
                    placeholder="when fixed"
                    aria-label={`Version that fixes ${b.name}`}
                  />
                </td>
                <td>
                  <form id={formId} method="post" action={`${base}/branches/${b.branchId}`} class="inline">
                    <CsrfField token={props.csrfToken} />
                    <button type="submit" class="secondary">
                      Save
                    </button>
                  </form>
                </td>
              </>
            ) : (
              <>
                <td data-status={b.status}>{statusWords[b.status]}</td>
                <td>{b.fixedVersion ?? ''}</td>
              </>
            )}
          </tr>
        );
      })}
    </>
  );
}

function RangeTable({ pkg, props }: { pkg: AffectedPackage; props: AffectedSectionProps }) {
  if (pkg.ranges.length === 0) return <p class="muted">No version range yet.</p>;
  const base = `/p/${props.projectSlug}/cases/${props.caseNumber}/affected`;
  return (
    <table class="ranges">
      <thead>
        <tr>
          <th>Introduced</th>
          <th>Fixed</th>
          <th>Last affected</th>
          <th>Branch</th>
          {props.canEdit ? <th>Remove</th> : null}
        </tr>
      </thead>
      <tbody>
        {pkg.ranges.map((r) => (
          <tr key={r.id}>
            <td>
              <code>{r.introduced}</code>
            </td>
            <td>{r.fixed ? <code>{r.fixed}</code> : r.lastAffected ? '' : <span class="muted">not yet</span>}</td>
            <td>{r.lastAffected ? <code>{r.lastAffected}</code> : ''}</td>
            <td>{r.branchName ?? ''}</td>
            {props.canEdit ? (
              <td>
                <RemoveButton action={`${base}/ranges/${r.id}/remove`} csrf={props.csrfToken} />
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AddRangeForm({ pkg, props }: { pkg: AffectedPackage; props: AffectedSectionProps }) {
  const action = `/p/${props.projectSlug}/cases/${props.caseNumber}/affected/packages/${pkg.id}/ranges`;
  return (
    <form method="post" action={action} class="row add-range">
      <CsrfField token={props.csrfToken} />
      <label>
        Introduced <span class="hint">("0": since the first version)</span>
        <input type="text" name="introduced" required maxLength={100} />
      </label>
      <label>
        Fixed in
        <input type="text" name="fixed" maxLength={100} />
      </label>
      <label>
        or last affected
        <input type="text" name="lastAffected" maxLength={100} />
      </label>
      <label>
        Branch
        <select name="branchId">
          <option value="">none</option>
          {props.affected.branches.map((b) => (
            <option key={b.branchId} value={b.branchId}>
              {b.name}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="secondary">
        Add range
      </button>
    </form>
  );
}

function AddPackageForm({ props }: { props: AffectedSectionProps }) {
  const others = ecosystemNames.filter((n) => !commonEcosystems.includes(n));
  return (
    <form method="post" action={`/p/${props.projectSlug}/cases/${props.caseNumber}/affected/packages`}>
      <CsrfField token={props.csrfToken} />
      <h4>Add a package</h4>
      <label>
        Ecosystem
        <select name="ecosystem" required>
          <optgroup label="Common">
            {commonEcosystems.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </optgroup>
          <optgroup label="All OSV ecosystems">
            {others.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </optgroup>
        </select>
      </label>
      <label>
        Release <span class="hint">(for distributions: 12 for Debian:12, v3.20 for Alpine:v3.20)</span>
        <input type="text" name="release" maxLength={100} />
      </label>
      <label>
        Package name <span class="hint">(as the ecosystem names it; Maven: groupId:artifactId)</span>
        <input type="text" name="name" required maxLength={300} />
      </label>
      <label>
        Package URL <span class="hint">(optional, without a version: pkg:npm/%40scope/name)</span>
        <input type="text" name="purl" maxLength={1000} />
      </label>
      <button type="submit">Add package</button>
    </form>
  );
}

/** The case on each release branch and its affected packages with their version ranges. */
export function AffectedSection(props: AffectedSectionProps) {
  const { affected, canEdit, csrfToken } = props;
  const base = `/p/${props.projectSlug}/cases/${props.caseNumber}/affected`;
  return (
    <section id="affected" aria-labelledby="affected-heading">
      <h2 id="affected-heading">Affected versions</h2>
      <h3>Release branches</h3>
      {affected.branches.length === 0 ? (
        <p class="muted">This project has no release branches yet; its admins add them in the project settings.</p>
      ) : (
        <table class="branches">
          <thead>
            <tr>
              <th>Branch</th>
              <th>Support</th>
              <th>Status</th>
              <th>Fixed in</th>
              {canEdit ? <th /> : null}
            </tr>
          </thead>
          <tbody>
            <BranchRows props={props} />
          </tbody>
        </table>
      )}
      <h3>Packages</h3>
      {affected.packages.length === 0 ? <p class="muted">No affected package yet.</p> : null}
      {affected.packages.map((p) => (
        <article key={p.id} class="affected-package" data-package={`${p.ecosystem}/${p.name}`}>
          <h4>
            {p.ecosystem} · {p.name}
          </h4>
          {p.purl ? (
            <p>
              <code>{p.purl}</code>
            </p>
          ) : null}
          <RangeTable pkg={p} props={props} />
          {canEdit ? (
            <>
              <AddRangeForm pkg={p} props={props} />
              <RemoveButton action={`${base}/packages/${p.id}/remove`} csrf={csrfToken} label="Remove package" />
            </>
          ) : null}
        </article>
      ))}
      {canEdit ? <AddPackageForm props={props} /> : null}
    </section>
  );
}

// --- Routes -----------------------------------------------------------------------------------------

const CaseParams = {
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
};
const Params = Type.Object(CaseParams);
const IdParams = Type.Object({ ...CaseParams, id: Type.String({ minLength: 1, maxLength: 64 }) });
const BranchParams = Type.Object({ ...CaseParams, branchId: Type.String({ minLength: 1, maxLength: 64 }) });
type P<Extra = object> = { Params: { slug: string; number: string } & Extra };

/** The affected-versions forms: POST routes under /p/:slug/cases/:number/affected/ (case.affected.edit). */
export function caseAffectedPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const caseUrl = (slug: string, c: Pick<Case, 'number'>) => `/p/${slug}/cases/${c.number}`;

    /**
     * Runs a change for the case of the URL once the actor may edit it, then back to #affected; a
     * refusal gets a short page saying why with a link back (the case page is another module's).
     */
    async function change(
      request: FastifyRequest<P>,
      reply: FastifyReply,
      run: (
        trx: Trx,
        by: { actor: typeof request.actor; origin: typeof request.origin; theCase: Case },
      ) => Promise<unknown>,
    ): Promise<FastifyReply> {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'case.affected.edit', { projectId: project.id });
      const theCase = await requireCase(deps.db, project.id, Number(request.params.number));
      const back = caseUrl(project.slug, theCase);
      try {
        await deps.db
          .transaction()
          .execute((trx) => run(trx, { actor: request.actor, origin: request.origin, theCase }));
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return replyChangeRefused(reply, {
          heading: 'Affected versions not saved',
          error,
          status,
          back: `${back}#affected`,
          caseNumber: theCase.number,
          projectName: project.name,
        });
      }
      deps.wakeWorker();
      return reply.redirect(`${back}#affected`, 303);
    }

    app.post<P<{ branchId: string }>>(
      '/p/:slug/cases/:number/affected/branches/:branchId',
      { schema: { params: BranchParams }, preHandler: requireSignIn },
      (request, reply) =>
        change(request, reply, (trx, by) =>
          setBranchStatus(trx, deps, {
            ...by,
            branchId: request.params.branchId,
            status: field(request.body, 'status'),
            fixedVersion: field(request.body, 'fixedVersion'),
          }),
        ),
    );

    app.post<P>(
      '/p/:slug/cases/:number/affected/packages',
      { schema: { params: Params }, preHandler: requireSignIn },
      (request, reply) => {
        const release = field(request.body, 'release').trim();
        const ecosystem = field(request.body, 'ecosystem');
        return change(request, reply, (trx, by) =>
          addPackage(trx, deps, {
            ...by,
            ecosystem: release ? `${ecosystem}:${release}` : ecosystem,
            name: field(request.body, 'name'),
            purl: field(request.body, 'purl'),
          }),
        );
      },
    );

    app.post<P<{ id: string }>>(
      '/p/:slug/cases/:number/affected/packages/:id/remove',
      { schema: { params: IdParams }, preHandler: requireSignIn },
      (request, reply) =>
        change(request, reply, (trx, by) => removePackage(trx, deps, { ...by, packageId: request.params.id })),
    );

    app.post<P<{ id: string }>>(
      '/p/:slug/cases/:number/affected/packages/:id/ranges',
      { schema: { params: IdParams }, preHandler: requireSignIn },
      (request, reply) =>
        change(request, reply, (trx, by) =>
          addRange(trx, deps, {
            ...by,
            packageId: request.params.id,
            introduced: field(request.body, 'introduced'),
            fixed: field(request.body, 'fixed'),
            lastAffected: field(request.body, 'lastAffected'),
            branchId: field(request.body, 'branchId'),
          }),
        ),
    );

    app.post<P<{ id: string }>>(
      '/p/:slug/cases/:number/affected/ranges/:id/remove',
      { schema: { params: IdParams }, preHandler: requireSignIn },
      (request, reply) =>
        change(request, reply, (trx, by) => removeRange(trx, deps, { ...by, rangeId: request.params.id })),
    );
  };
}
