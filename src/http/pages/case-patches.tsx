import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Case } from '../../domain/cases/cases.js';
import { requireCase } from '../../domain/cases/cases.service.js';
import { MAX_PATCH_BYTES, patchFileText } from '../../domain/cases/patch-parse.js';
import {
  type BranchPatches,
  casePatches,
  type PatchSummary,
  reviewPatch,
  uploadPatch,
  viewPatch,
} from '../../domain/cases/patches.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { listBranches, requireProject } from '../../domain/projects/projects.service.js';
import { DomainError } from '../../errors.js';
import type { Actor } from '../../policies/actor.js';
import { type Action, authorize, can } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { PatchPage, PatchStatusBadge, type ReviewFormProps } from '../views/patch-view.js';
import { when } from '../views/time.js';
import { contentDisposition } from './download.js';
import { field, formFailure } from './forms.js';
import { readSubmittedForm } from './multipart-form.js';
import { requireSignIn } from './require-user.js';
import { replyChangeRefused } from '../views/change-refused.js';

// Private patches on the case page (a section, placed by the case page) and their own pages: the
// rendered patch with its reviews, the review form and the raw download.

export interface PatchesSectionProps {
  projectSlug: string;
  caseNumber: number;
  patches: BranchPatches[];
  branches: { id: string; name: string; supported: boolean }[];
  csrfToken: string;
  canUpload: boolean;
  canReview: boolean;
}

const patchUrl = (slug: string, number: number, id: string) => `/p/${slug}/cases/${number}/patches/${id}`;

function PatchLine({ patch, url }: { patch: PatchSummary; url: string }) {
  return (
    <>
      <a href={url}>{patch.filename}</a> <PatchStatusBadge status={patch.status} />
      <br />
      <span class="muted">
        {when(patch.uploadedAt)} · {patch.uploaderName ?? 'a former user'}
      </span>
    </>
  );
}

/** The case page's patches: each branch's current patch with its reviews, older uploads, the upload form. */
export function PatchesSection(props: PatchesSectionProps) {
  const { projectSlug, caseNumber } = props;
  const url = (p: PatchSummary) => patchUrl(projectSlug, caseNumber, p.id);
  const supported = new Map(props.branches.map((b) => [b.id, b.supported]));
  const withPatch = new Set(props.patches.map((b) => b.branchId));
  const waiting = props.branches.filter((b) => b.supported && !withPatch.has(b.id));
  return (
    <section id="patches" aria-labelledby="patches-heading">
      <h2 id="patches-heading">Patches</h2>
      {props.patches.length === 0 ? (
        <p class="muted">No patch uploaded yet.</p>
      ) : (
        <table class="patches">
          <thead>
            <tr>
              <th>Branch</th>
              <th>Current patch</th>
              <th>Reviews</th>
            </tr>
          </thead>
          <tbody>
            {props.patches.map((b) => (
              <tr key={b.branchId}>
                <td>
                  {b.branchName}
                  {supported.get(b.branchId) === false ? <span class="muted"> (no longer supported)</span> : null}
                </td>
                <td>
                  <PatchLine patch={b.latest} url={url(b.latest)} />
                  {b.superseded.length > 0 ? (
                    <details>
                      <summary>
                        {b.superseded.length} earlier {b.superseded.length === 1 ? 'upload' : 'uploads'}
                      </summary>
                      <ul>
                        {b.superseded.map((p) => (
                          <li key={p.id}>
                            <PatchLine patch={p} url={url(p)} />
                          </li>
                        ))}
                      </ul>
                    </details>
                  ) : null}
                </td>
                <td>
                  {b.latest.reviews.length === 0 ? (
                    <span class="muted">none yet</span>
                  ) : (
                    <ul>
                      {b.latest.reviews.map((r) => (
                        <li key={r.id}>
                          {r.reviewerName ?? 'a former user'}:{' '}
                          {r.verdict === 'approve'
                            ? 'approved'
                            : r.verdict === 'request_changes'
                              ? 'requested changes'
                              : 'commented'}
                        </li>
                      ))}
                    </ul>
                  )}
                  {props.canReview && b.latest.status !== 'superseded' ? (
                    <a href={`${url(b.latest)}#review-form`}>Review</a>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {waiting.length > 0 ? <p class="muted">No patch yet for {waiting.map((b) => b.name).join(', ')}.</p> : null}
      {props.canUpload ? <UploadForm {...props} /> : null}
    </section>
  );
}

function UploadForm(props: PatchesSectionProps) {
  if (props.branches.length === 0) {
    return <p class="muted">The project has no release branches yet: its admins add them in the settings.</p>;
  }
  return (
    <form
      method="post"
      action={`/p/${props.projectSlug}/cases/${props.caseNumber}/patches`}
      enctype="multipart/form-data"
      class="patch-upload"
    >
      <h3>Upload a patch</h3>
      <CsrfField token={props.csrfToken} />
      <label for="patch-branch">Release branch</label>
      <select id="patch-branch" name="branchId" required>
        {props.branches.map((b) => (
          <option key={b.id} value={b.id}>
            {b.name}
            {b.supported ? '' : ' (no longer supported)'}
          </option>
        ))}
      </select>
      <label for="patch-file">
        Patch file <span class="hint">(git format-patch output or a unified diff, at most 2 MB)</span>
      </label>
      <input id="patch-file" type="file" name="file" accept=".patch,.diff,.txt,text/x-diff,text/x-patch,text/plain" />
      <label for="patch-content">
        Or paste it <span class="hint">(a new upload replaces the branch's current patch)</span>
      </label>
      <textarea id="patch-content" name="content" spellcheck={false} />
      <label for="patch-filename">
        File name <span class="hint">(for a pasted patch; optional)</span>
      </label>
      <input id="patch-filename" type="text" name="filename" maxLength={200} />
      <button type="submit">Upload patch</button>
    </form>
  );
}

/** The section's data for the case page (no audit: the case page audits its own view). */
export async function loadPatchesSection(
  deps: Pick<Deps, 'clock'> & { db: DbOrTrx },
  input: { actor: Actor; project: Project; theCase: Pick<Case, 'id' | 'number'>; csrfToken: string },
): Promise<PatchesSectionProps> {
  const today = deps.clock.now().toISOString().slice(0, 10);
  const subject = { projectId: input.project.id, caseId: input.theCase.id };
  const branches = await listBranches(deps.db, input.project.id);
  return {
    projectSlug: input.project.slug,
    caseNumber: input.theCase.number,
    patches: await casePatches(deps.db, input.theCase.id),
    branches: branches.map((b) => ({
      id: b.id,
      name: b.name,
      supported: b.endOfSupport === null || b.endOfSupport >= today,
    })),
    csrfToken: input.csrfToken,
    canUpload: can(input.actor, 'case.patch.upload', subject),
    canReview: can(input.actor, 'case.patch.review', subject),
  };
}

/**
 * The project and case of a URL once the actor may do `action` on the case. The rules admit a case's
 * invited collaborators, so the case is read first; a missing case tells an outsider no more than a
 * hidden one (both NOT_FOUND), and the anonymous are still asked to sign in.
 */
export async function requirePatchCase(
  db: DbOrTrx,
  request: { actor: Actor; params: { slug: string; number: string } },
  action: Extract<Action, 'case.read' | 'case.patch.upload' | 'case.patch.review'>,
): Promise<{ project: Project; theCase: Case }> {
  const project = await requireProject(db, request.params.slug);
  let theCase: Case;
  try {
    theCase = await requireCase(db, project.id, Number(request.params.number));
  } catch (err) {
    authorize(request.actor, action, { projectId: project.id });
    throw err;
  }
  authorize(request.actor, action, { projectId: project.id, caseId: theCase.id });
  return { project, theCase };
}

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});
const PatchParams = Type.Object({ ...Params.properties, id: Type.String({ minLength: 1, maxLength: 64 }) });
type P = { Params: { slug: string; number: string } };
type PP = { Params: { slug: string; number: string; id: string } };

/** Browsers send a textarea's line breaks as CRLF; a patch pasted there had LF (git's own). */
const pasted = (text: string) => text.replace(/\r\n/g, '\n');

/** The patch of an upload form: the chosen file, or else the pasted text (not both). */
function submittedPatch(request: FastifyRequest): { branchId: string; filename: string; content: string } {
  const { fields, files } = readSubmittedForm(request);
  const file = files[0];
  const text = fields.content ?? '';
  if (file && text.trim()) {
    throw new DomainError('VALIDATION_FAILED', 'Either choose a file or paste the patch, not both.', {
      field: 'patch',
    });
  }
  return {
    branchId: fields.branchId ?? '',
    filename: file ? file.filename : (fields.filename ?? ''),
    content: file ? patchFileText(file.content) : pasted(text),
  };
}

/** Routes: upload (multipart or URL-encoded), the patch page, reviews and the raw download. */
export function casePatchPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const tx = <T,>(fn: (trx: Trx) => Promise<T>): Promise<T> => deps.db.transaction().execute(fn);
    const caseUrl = (project: Project, c: Pick<Case, 'number'>) => `/p/${project.slug}/cases/${c.number}`;

    async function showPatch(
      request: FastifyRequest<PP>,
      reply: FastifyReply,
      target: { project: Project; theCase: Case },
      failed?: { error: DomainError; status: number; values: { verdict: string; comment: string } },
    ): Promise<FastifyReply> {
      const { project, theCase } = target;
      const actor = request.actor;
      const patch = await tx((trx) =>
        viewPatch(trx, deps, { actor, origin: request.origin, theCase, patchId: request.params.id }),
      );
      const base = patchUrl(project.slug, theCase.number, patch.id);
      const subject = { projectId: project.id, caseId: theCase.id };
      const own = actor.kind === 'user' && patch.uploadedBy === actor.userId;
      const review: ReviewFormProps | undefined = can(actor, 'case.patch.review', subject)
        ? {
            action: `${base}/review#reviews`,
            csrfToken: request.csrfToken(),
            canApprove: !own && patch.status !== 'superseded',
            ...(failed ? { error: failed.error, values: failed.values } : {}),
          }
        : undefined;
      return reply.page(
        <PatchPage
          projectName={project.name}
          caseUrl={caseUrl(project, theCase)}
          caseNumber={theCase.number}
          patch={patch}
          rawUrl={`${base}/raw`}
          {...(review ? { review } : {})}
        />,
        {
          title: `${patch.filename} · case #${theCase.number} · ${project.name}`,
          styles: ['patch.css'],
          ...(failed ? { status: failed.status } : {}),
        },
      );
    }

    // Uploads take multipart/form-data (a file input); only this route parses it (see multipart-form.ts).
    // The limits are the patch's own, not the report form's: one file of at most 2 MB, and a pasted
    // patch whose line breaks the browser doubled to CRLF.
    await app.register(async (uploads) => {
      await uploads.register(multipart, {
        attachFieldsToBody: true,
        limits: { fileSize: MAX_PATCH_BYTES, files: 1, fields: 5, fieldSize: 2 * MAX_PATCH_BYTES, parts: 6 },
        throwFileSizeLimit: true,
      });
      uploads.post<P>(
        '/p/:slug/cases/:number/patches',
        { schema: { params: Params }, preHandler: requireSignIn },
        async (request, reply) => {
          const { project, theCase } = await requirePatchCase(deps.db, request, 'case.patch.upload');
          const back = `${caseUrl(project, theCase)}#patches`;
          try {
            const input = submittedPatch(request);
            await tx((trx) =>
              uploadPatch(trx, deps, { actor: request.actor, origin: request.origin, theCase, ...input }),
            );
          } catch (err) {
            const { error, status } = formFailure(request, err);
            return replyChangeRefused(reply, {
              heading: 'The patch was not uploaded',
              error,
              status,
              back,
              caseNumber: theCase.number,
              projectName: project.name,
              hint: "(or use your browser's Back button to keep what you pasted).",
            });
          }
          deps.wakeWorker();
          return reply.redirect(back, 303);
        },
      );
    });

    app.get<PP>(
      '/p/:slug/cases/:number/patches/:id',
      { schema: { params: PatchParams }, preHandler: requireSignIn },
      async (request, reply) => showPatch(request, reply, await requirePatchCase(deps.db, request, 'case.read')),
    );

    app.post<PP>(
      '/p/:slug/cases/:number/patches/:id/review',
      { schema: { params: PatchParams }, preHandler: requireSignIn },
      async (request, reply) => {
        const target = await requirePatchCase(deps.db, request, 'case.patch.review');
        const values = { verdict: field(request.body, 'verdict'), comment: field(request.body, 'comment') };
        try {
          await tx((trx) =>
            reviewPatch(trx, deps, {
              actor: request.actor,
              origin: request.origin,
              theCase: target.theCase,
              patchId: request.params.id,
              ...values,
            }),
          );
        } catch (err) {
          const { error, status } = formFailure(request, err);
          return showPatch(request, reply, target, { error, status, values });
        }
        deps.wakeWorker();
        return reply.redirect(
          `${patchUrl(target.project.slug, target.theCase.number, request.params.id)}#reviews`,
          303,
        );
      },
    );

    // The patch as uploaded, to apply with git. Saved, never rendered: a patch is embargoed code.
    app.get<PP>(
      '/p/:slug/cases/:number/patches/:id/raw',
      { schema: { params: PatchParams }, preHandler: requireSignIn },
      async (request, reply) => {
        const { theCase } = await requirePatchCase(deps.db, request, 'case.read');
        const patch = await tx((trx) =>
          viewPatch(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            theCase,
            patchId: request.params.id,
            download: true,
          }),
        );
        return reply
          .header('content-disposition', contentDisposition(patch.filename))
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', 'sandbox')
          .header('cache-control', 'no-store, private')
          .type('text/x-diff; charset=utf-8')
          .send(patch.content);
      },
    );
  };
}
