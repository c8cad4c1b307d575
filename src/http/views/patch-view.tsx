import type { DiffFile, DiffHunk, PatchPart } from '../../domain/cases/patch-parse.js';
import type { PatchDetail, PatchReview, PatchStatus, ReviewVerdict } from '../../domain/cases/patches.service.js';
import type { DomainError } from '../../errors.js';
import { ErrorNotice, invalidIf } from '../pages/forms.js';
import { CsrfField } from './layout.js';
import { when } from './time.js';
import { limitShownLines, MAX_SHOWN_LINES } from '../../domain/cases/patch-parse.js';

// A private patch as reviewers read it: each commit of a series with its subject, author and
// message, then each file's hunks with old and new line numbers. Every piece of the patch is text
// interpolated by JSX, so markup in a patch is shown, never run.

const statusWords: Record<PatchStatus, string> = {
  in_review: 'In review',
  approved: 'Approved',
  changes_requested: 'Changes requested',
  superseded: 'Superseded',
};

const verdictWords: Record<ReviewVerdict, string> = {
  approve: 'approved',
  request_changes: 'requested changes',
  comment: 'commented',
};

export function PatchStatusBadge({ status }: { status: PatchStatus }) {
  return <span class={`badge patch-${status}`}>{statusWords[status]}</span>;
}

/** Reviews, oldest first: who, when, the verdict and the comment. */
export function ReviewList({ reviews }: { reviews: readonly PatchReview[] }) {
  if (reviews.length === 0) return <p class="muted">No reviews yet.</p>;
  return (
    <ol class="timeline patch-reviews">
      {reviews.map((r) => (
        <li key={r.id} class={`review-${r.verdict}`}>
          <span class="meta">
            {when(r.at)} · {r.reviewerName ?? 'a former user'}
          </span>
          <br />
          <strong>{verdictWords[r.verdict]}</strong>
          {r.comment ? <p class="review-comment">{r.comment}</p> : null}
        </li>
      ))}
    </ol>
  );
}

const changeWords: Record<DiffFile['change'], string> = {
  added: 'added',
  deleted: 'deleted',
  modified: 'modified',
  renamed: 'renamed',
  copied: 'copied',
};

function FileTitle({ file }: { file: DiffFile }) {
  const moved = (file.change === 'renamed' || file.change === 'copied') && file.oldPath !== file.newPath;
  return (
    <h4 class="diff-file-name">
      <code>{moved ? `${file.oldPath ?? ''} → ${file.newPath ?? ''}` : (file.newPath ?? file.oldPath ?? '')}</code>{' '}
      <span class={`badge file-${file.change}`}>{changeWords[file.change]}</span>
      {file.similarity !== null ? <span class="muted"> {file.similarity}% similar</span> : null}
      {file.oldMode && file.newMode && file.oldMode !== file.newMode ? (
        <span class="muted">
          {' '}
          mode {file.oldMode} → {file.newMode}
        </span>
      ) : null}{' '}
      <span class="diff-counts">
        <span class="additions">+{file.additions}</span> <span class="deletions">−{file.deletions}</span>
      </span>
    </h4>
  );
}

const marks = { add: '+', del: '-', context: ' ' } as const;

function Hunk({ hunk }: { hunk: DiffHunk }) {
  const header = `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`;
  return (
    <tbody>
      <tr class="hunk-header">
        <td colSpan={3}>
          <code>
            {header}
            {hunk.section ? ` ${hunk.section}` : ''}
          </code>
        </td>
      </tr>
      {hunk.lines.flatMap((line, i) => {
        const row = (
          <tr key={i} class={`line-${line.type}`}>
            <td class="ln" aria-label={line.oldNumber === null ? undefined : `old line ${line.oldNumber}`}>
              {line.oldNumber ?? ''}
            </td>
            <td class="ln" aria-label={line.newNumber === null ? undefined : `new line ${line.newNumber}`}>
              {line.newNumber ?? ''}
            </td>
            <td class="code">
              <span class="mark">{marks[line.type]}</span>
              {line.text}
            </td>
          </tr>
        );
        if (!line.noNewline) return [row];
        return [
          row,
          <tr key={`${i}-nl`} class="no-newline">
            <td class="ln" />
            <td class="ln" />
            <td class="code">\ No newline at end of file</td>
          </tr>,
        ];
      })}
    </tbody>
  );
}

function FileDiff({ file }: { file: DiffFile }) {
  return (
    <section class="diff-file">
      <FileTitle file={file} />
      {file.binary ? (
        <p class="muted">Binary file: not shown. Download the raw patch to apply it.</p>
      ) : file.hunks.length === 0 ? (
        <p class="muted">No change to the content.</p>
      ) : (
        <table class="diff">
          {file.hunks.map((h, i) => (
            <Hunk key={i} hunk={h} />
          ))}
        </table>
      )}
    </section>
  );
}

function Part({ part, single }: { part: PatchPart; single: boolean }) {
  const numbered = part.number !== null && part.total !== null ? `[${part.number}/${part.total}] ` : '';
  return (
    <article class="patch-part">
      {part.subject !== null ? (
        <header class="patch-commit">
          <h3>
            {numbered}
            {part.subject}
          </h3>
          <p class="muted">
            {part.author ? <>By {part.author}</> : null}
            {part.date ? <> · {part.date}</> : null}
            {part.commit ? (
              <>
                {' '}
                · commit <code>{part.commit.slice(0, 12)}</code>
              </>
            ) : null}
          </p>
          {part.message ? <pre class="commit-message">{part.message}</pre> : null}
        </header>
      ) : single ? null : (
        <h3>Changes</h3>
      )}
      {part.files.length === 0 ? <p class="muted">No diff in this message.</p> : null}
      {part.files.map((f, i) => (
        <FileDiff key={i} file={f} />
      ))}
    </article>
  );
}

export interface ReviewFormProps {
  action: string;
  csrfToken: string;
  /** False for the patch's uploader (and for a superseded patch): they may comment or ask for changes only. */
  canApprove: boolean;
  error?: DomainError;
  values?: { verdict?: string; comment?: string };
}

export function ReviewForm(props: ReviewFormProps) {
  const chosen = props.values?.verdict ?? (props.canApprove ? 'approve' : 'comment');
  const choice = (value: ReviewVerdict, label: string) => (
    <label class="check">
      <input type="radio" name="verdict" value={value} checked={chosen === value} /> {label}
    </label>
  );
  return (
    <form method="post" action={props.action} class="review-form" id="review-form">
      <h3>Your review</h3>
      <ErrorNotice error={props.error} />
      <CsrfField token={props.csrfToken} />
      <fieldset aria-invalid={invalidIf(props.error, 'verdict')}>
        <legend>Verdict</legend>
        {props.canApprove ? choice('approve', 'Approve') : null}
        {choice('request_changes', 'Request changes')}
        {choice('comment', 'Comment only')}
      </fieldset>
      {props.canApprove ? null : (
        <p class="muted">You uploaded this patch (or it was replaced): another member approves it.</p>
      )}
      <label for="review-comment">
        Comment <span class="hint">(required to request changes)</span>
      </label>
      <textarea id="review-comment" name="comment" aria-invalid={invalidIf(props.error, 'comment')}>
        {props.values?.comment ?? ''}
      </textarea>
      <button type="submit">Send review</button>
    </form>
  );
}

export interface PatchPageProps {
  projectName: string;
  caseUrl: string;
  caseNumber: number;
  patch: PatchDetail;
  rawUrl: string;
  review?: ReviewFormProps;
}

/** The whole patch page: facts, the rendered diff, reviews and (for reviewers) the review form. */
export function PatchPage({ projectName, caseUrl, caseNumber, patch, rawUrl, review }: PatchPageProps) {
  const shown = limitShownLines(patch.parsed);
  const parts = shown.parsed.parts;
  const files = parts.flatMap((p) => p.files);
  return (
    <article class="patch">
      <p class="muted">
        {projectName} · <a href={`${caseUrl}#patches`}>case #{caseNumber}</a> · patches
      </p>
      <h1>
        {patch.filename} <PatchStatusBadge status={patch.status} />
      </h1>
      <p class="notice embargoed">Embargoed: this fix is private until the case is published.</p>
      <dl class="facts">
        <dt>Branch</dt>
        <dd>{patch.branchName}</dd>
        <dt>Uploaded</dt>
        <dd>
          {when(patch.uploadedAt)} by {patch.uploaderName ?? 'a former user'}
        </dd>
        <dt>Kind</dt>
        <dd>
          {patch.kind === 'format-patch'
            ? `git format-patch, ${parts.length} ${parts.length === 1 ? 'commit' : 'commits'}`
            : 'unified diff'}
          , {files.length} {files.length === 1 ? 'file' : 'files'}
        </dd>
        <dt>SHA-256</dt>
        <dd>
          <code>{patch.sha256}</code>
        </dd>
        <dt>Raw</dt>
        <dd>
          <a href={rawUrl}>Download {patch.filename}</a>
        </dd>
      </dl>
      {shown.truncated ? (
        <p class="notice">
          This patch is long: only its first {MAX_SHOWN_LINES} lines are shown. <a href={rawUrl}>Download it</a> to read
          the rest.
        </p>
      ) : null}
      {parts.map((part, i) => (
        <Part key={i} part={part} single={parts.length === 1} />
      ))}
      <section id="reviews" aria-labelledby="reviews-heading">
        <h2 id="reviews-heading">Reviews</h2>
        <ReviewList reviews={patch.reviews} />
        {review ? <ReviewForm {...review} /> : null}
      </section>
    </article>
  );
}
