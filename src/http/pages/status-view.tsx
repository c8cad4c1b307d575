import { type CloseReason, closeReasonLabel, isCloseReason, statusLabel } from '../../domain/reports/report-state.js';
import type { ReporterView } from '../../domain/reports/reporter.service.js';
import type { AttachmentMeta, ReportEntry } from '../../domain/reports/reports.js';
import type { ErrorCode } from '../../errors.js';
import { CsrfField } from '../views/layout.js';
import { Markdown } from '../views/markdown.js';

/** `2026-03-02 09:00 UTC`: one unambiguous format for reporters anywhere. */
export function when(at: string): string {
  return `${at.slice(0, 10)} ${at.slice(11, 16)} UTC`;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function Files({ files, token }: { files: AttachmentMeta[]; token: string }) {
  if (files.length === 0) return null;
  return (
    <ul class="attachments">
      {files.map((f) => (
        <li key={f.id}>
          <a href={`/status/${token}/attachments/${f.id}`} download={f.filename}>
            {f.filename}
          </a>{' '}
          <span class="muted">
            ({size(f.size)}, SHA-256 <code>{f.sha256.slice(0, 12)}</code>…)
          </span>
        </li>
      ))}
    </ul>
  );
}

function heading(entry: ReportEntry): string {
  switch (entry.kind) {
    case 'submitted':
      return 'You sent the report';
    case 'message':
      return entry.authorKind === 'reporter' ? 'You wrote' : 'The security team wrote';
    case 'status': {
      const reason = entry.detail?.closeReason;
      const label = entry.statusTo ? statusLabel(entry.statusTo) : 'Updated';
      return `Status: ${label}${typeof reason === 'string' && isCloseReason(reason) ? ` (${closeReasonLabel(reason)})` : ''}`;
    }
    case 'note':
      return 'Note';
    case 'progress':
      return 'Progress on the fix';
  }
}

function Entry({ entry, token, last }: { entry: ReportEntry; token: string; last: boolean }) {
  return (
    <li id={last ? 'latest' : undefined} class={`entry ${entry.kind} by-${entry.authorKind}`}>
      <p class="meta">
        <strong>{heading(entry)}</strong> <span class="muted">{when(entry.createdAt)}</span>
      </p>
      {entry.body ? <Markdown source={entry.body} /> : null}
      <Files files={entry.attachments} token={token} />
    </li>
  );
}

function StateLine({ view }: { view: ReporterView }) {
  const { report, project } = view;
  const reason: CloseReason | null = report.status === 'closed' ? report.closeReason : null;
  return (
    <dl class="report-state">
      <dt>Status</dt>
      <dd>
        <span class={`badge status-${report.status}`}>{statusLabel(report.status)}</span>
        {reason ? ` — ${closeReasonLabel(reason)}` : null}
      </dd>
      <dt>Received</dt>
      <dd>{when(report.receivedAt)}</dd>
      <dt>Acknowledged</dt>
      <dd>
        {report.acknowledgedAt
          ? when(report.acknowledgedAt)
          : `Not yet. The team aims to acknowledge reports within ${project.ackTargetHours} hours (by ${when(report.ackDueAt)}).`}
      </dd>
    </dl>
  );
}

export interface StatusPageProps {
  view: ReporterView;
  token: string;
  csrfToken: string;
  error?: { code: ErrorCode; message: string };
  draft?: string;
}

export function StatusPage({ view, token, csrfToken, error, draft }: StatusPageProps) {
  const { report, project } = view;
  const spamClosed = report.status === 'closed' && report.closeReason === 'spam';
  return (
    <section class="status-page">
      <h1>
        Report {report.trackingId} <span class="muted">to {project.name}</span>
      </h1>
      <p class="notice">This page is private to you: keep its address secret, anyone holding it can read the report.</p>
      <StateLine view={view} />
      <details class="report-content">
        <summary>Your report: {report.title}</summary>
        <Markdown source={report.description} />
        {report.affectedVersions ? <p>Affected versions: {report.affectedVersions}</p> : null}
        {report.reproduction ? <Markdown source={report.reproduction} /> : null}
        {report.impact ? <Markdown source={report.impact} /> : null}
      </details>
      <h2>Conversation</h2>
      <ol class="timeline">
        {view.entries.map((e, i) => (
          <Entry key={e.id} entry={e} token={token} last={i === view.entries.length - 1} />
        ))}
      </ol>
      <h2>Write to the team</h2>
      {error ? (
        <p class="notice error" role="alert">
          {error.message}{' '}
          <span class="muted">
            (error code <code>{error.code}</code>)
          </span>
        </p>
      ) : null}
      {spamClosed ? (
        <p class="muted">This report was closed and takes no more messages.</p>
      ) : (
        <form method="post" action={`/status/${token}/messages`} enctype="multipart/form-data">
          <CsrfField token={csrfToken} />
          {report.status === 'closed' ? (
            <p class="muted">The report is closed; you can still write, for example if you disagree.</p>
          ) : null}
          <label for="body">
            Message <span class="hint">(Markdown)</span>
          </label>
          <textarea id="body" name="body" required rows={6}>
            {draft ?? ''}
          </textarea>
          <label for="attachments">
            Attachments <span class="hint">(optional)</span>
          </label>
          <input type="file" id="attachments" name="attachments" multiple />
          <button type="submit">Send</button>
        </form>
      )}
    </section>
  );
}
