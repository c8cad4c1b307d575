import { formatFingerprint } from '../../domain/pgp/pgp.js';
import type { AckClock } from '../../domain/reports/ack-clock.js';
import {
  type CloseReason,
  closeReasonLabel,
  isCloseReason,
  isReportStatus,
  statusLabel,
} from '../../domain/reports/report-state.js';
import type { AttachmentMeta, CreditPreference, ReportEntry } from '../../domain/reports/reports.js';
import type { TeamReportView } from '../../domain/reports/team-report.service.js';
import { AckClockText } from './ack-clock.js';
import { Markdown } from './markdown.js';
import { when } from './time.js';

// The read-only parts of the team's report page: the report's fields, its timeline and its files.

/**
 * A mailto: link to exactly this address. Each side of the last @ is percent-encoded, so an address
 * stored before intake refused URL syntax (`x@a.org?bcc=spy%40b.org`) cannot add headers or recipients.
 */
function mailtoHref(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return `mailto:${encodeURIComponent(address)}`;
  return `mailto:${encodeURIComponent(address.slice(0, at))}@${encodeURIComponent(address.slice(at + 1))}`;
}

function creditLabel(credit: CreditPreference): string {
  switch (credit) {
    case 'name':
      return 'Credit by name';
    case 'anonymous':
      return 'Credit anonymously';
    case 'none':
      return 'No credit wanted';
  }
}

function size(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

export function AttachmentList({ files, base }: { files: AttachmentMeta[]; base: string }) {
  if (files.length === 0) return null;
  return (
    <ul class="attachments">
      {files.map((f) => (
        <li key={f.id}>
          <a href={`${base}/attachments/${f.id}`} download={f.filename}>
            {f.filename}
          </a>{' '}
          <span class="muted">
            {size(f.size)}, {f.contentType}, sha256 <code>{f.sha256.slice(0, 16)}…</code>
          </span>
        </li>
      ))}
    </ul>
  );
}

function Field({ label, text, markdown }: { label: string; text: string | null; markdown?: boolean }) {
  if (!text) return null;
  return (
    <>
      <h2>{label}</h2>
      {markdown ? <Markdown source={text} /> : <p>{text}</p>}
    </>
  );
}

export function ReportHeader({ view, slug, clock }: { view: TeamReportView; slug: string; clock: AckClock }) {
  const { report } = view;
  return (
    <>
      <p class="muted">
        <a href={`/p/${slug}/inbox`}>Inbox</a> · <code>{report.trackingId}</code>
      </p>
      <h1>{report.title}</h1>
      <dl class="facts">
        <dt>State</dt>
        <dd>
          <span class={`badge state-${report.status}`}>{statusLabel(report.status)}</span>
          {report.closeReason ? ` ${closeReasonLabel(report.closeReason)}` : null}
          {view.duplicateOf ? (
            <>
              {' of '}
              <a href={`/p/${slug}/reports/${view.duplicateOf.id}`}>{view.duplicateOf.trackingId}</a>
            </>
          ) : null}
          {view.caseNumber !== null ? (
            <>
              {' as '}
              <a href={`/p/${slug}/cases/${view.caseNumber}`}>case #{view.caseNumber}</a>
            </>
          ) : null}
        </dd>
        <dt>Received</dt>
        <dd>
          {when(report.receivedAt)} via {report.source}
        </dd>
        <dt>Acknowledgement</dt>
        <dd>
          <AckClockText clock={clock} />
        </dd>
        <dt>Reporter</dt>
        <dd>
          {report.reporterName ?? 'No name given'}
          {report.reporterEmail ? (
            <>
              {' · '}
              <a href={mailtoHref(report.reporterEmail)}>{report.reporterEmail}</a>
            </>
          ) : (
            ' · no email address: they follow the report on their status page only'
          )}
        </dd>
        <dt>Credit</dt>
        <dd>{creditLabel(report.credit)}</dd>
      </dl>
      <Field label="Description" text={report.description} markdown />
      <Field label="Affected versions" text={report.affectedVersions} />
      <Field label="Steps to reproduce" text={report.reproduction} markdown />
      <Field label="Impact" text={report.impact} markdown />
    </>
  );
}

function authorOf(entry: ReportEntry): string {
  switch (entry.authorKind) {
    case 'reporter':
      return 'The reporter';
    case 'team':
      return entry.authorName ?? 'A former team member';
    case 'system':
      return 'Embargo';
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function StatusLine({ entry }: { entry: ReportEntry }) {
  const to = entry.statusTo;
  const from = entry.statusFrom;
  const reason = str(entry.detail?.closeReason);
  const duplicateOf = str(entry.detail?.duplicateOfTrackingId);
  const caseNumber = entry.detail?.caseNumber;
  return (
    <p>
      {from && isReportStatus(from) ? `${statusLabel(from)} → ` : ''}
      <strong>{to && isReportStatus(to) ? statusLabel(to) : 'changed'}</strong>
      {reason && isCloseReason(reason) ? ` (${closeReasonLabel(reason as CloseReason)})` : ''}
      {duplicateOf ? ` of ${duplicateOf}` : ''}
      {typeof caseNumber === 'number' ? `: case #${caseNumber}` : ''}
    </p>
  );
}

function entryHeading(entry: ReportEntry): string {
  if (entry.kind === 'submitted') return 'submitted the report';
  if (entry.kind === 'status') return 'changed the state';
  if (entry.kind === 'progress') return 'told the reporter of progress on the case';
  if (entry.kind === 'note') return entry.detail?.reopenReason ? 'noted why it was reopened' : 'wrote a note';
  return entry.authorKind === 'reporter' ? 'wrote' : 'wrote to the reporter';
}

/**
 * What a signature proves, in plain words. "verified" only when the signing key is the one kept on
 * the report before this message (decided when the mail was filed, mail-signature.ts); a key that
 * came with the mail itself, or with earlier mail from the same (forgeable) From, proves nothing.
 */
function signatureLabel(signature: Record<string, unknown>): string | undefined {
  switch (signature.status) {
    case 'verified':
      return "signature verified with the reporter's key kept on this report";
    case 'not-verified':
      if (signature.keyFrom === 'earlier-mail') {
        return "signed with a key from this address's earlier mail (not verified)";
      }
      if (signature.keyFrom === 'known') return 'signed with a key not kept on this report (not verified)';
      return 'signed with a key sent in this mail (not verified)';
    case 'unverified':
      return 'signed, key unknown';
    case 'invalid':
      return 'signature invalid';
    default:
      return undefined;
  }
}

function fingerprintOf(signature: Record<string, unknown>): string | null {
  return typeof signature.fingerprint === 'string' ? formatFingerprint(signature.fingerprint) : null;
}

function record(value: unknown): Record<string, unknown> | null {
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
}

/** How an entry that came by mail arrived: by email, whether encrypted, and its OpenPGP signature. */
function ViaEmail({ entry }: { entry: ReportEntry }) {
  const detail = entry.detail;
  if (detail?.via !== 'email') return null;
  const signature = record(detail.signature);
  const label = signature ? signatureLabel(signature) : undefined;
  const status = signature ? String(signature.status) : '';
  const fingerprint = signature ? fingerprintOf(signature) : null;
  const offered = record(detail.keyOffered);
  const offeredPrint = offered ? fingerprintOf(offered) : null;
  return (
    <>
      {' · by email'}
      {detail.encrypted === true ? <span class="badge mail-encrypted">encrypted</span> : null}
      {detail.partlyEncrypted === true ? (
        <span class="badge signature-invalid">partly encrypted: some of it came in the clear</span>
      ) : null}
      {label ? (
        <span
          class={`badge ${status === 'verified' ? 'signature-verified' : status === 'invalid' ? 'signature-invalid' : 'signature-unverified'}`}
        >
          {label}
        </span>
      ) : null}
      {detail.partlySigned === true ? (
        <span class="badge signature-invalid">partly signed: some of the text is outside the signature</span>
      ) : null}
      {fingerprint ? <span class="muted"> key {fingerprint}</span> : null}
      {offeredPrint ? <span class="badge signature-unverified">sent a key, not adopted ({offeredPrint})</span> : null}
    </>
  );
}

export function Timeline({ entries, base }: { entries: ReportEntry[]; base: string }) {
  return (
    <ol class="timeline">
      {entries.map((entry) => (
        <li key={entry.id} class={entry.visibility === 'internal' ? 'internal' : undefined} id={`entry-${entry.id}`}>
          <p class="muted">
            <strong>{authorOf(entry)}</strong> {entryHeading(entry)} · {when(entry.createdAt)}
            <ViaEmail entry={entry} />
            {entry.visibility === 'internal' ? (
              <span class="badge private">Private: the reporter never sees this</span>
            ) : null}
          </p>
          {entry.kind === 'status' ? <StatusLine entry={entry} /> : null}
          {entry.body ? <Markdown source={entry.body} /> : null}
          <AttachmentList files={entry.attachments} base={base} />
        </li>
      ))}
    </ol>
  );
}
