import type { CloseReason, ReportStatus } from './report-state.js';

export type ReportSource = 'web' | 'api' | 'email';
/** How the reporter wants to be credited in the advisory. */
export type CreditPreference = 'name' | 'anonymous' | 'none';

/** A report as the team sees it. */
export interface Report {
  id: string;
  projectId: string;
  trackingId: string;
  source: ReportSource;
  title: string;
  description: string;
  affectedVersions: string | null;
  reproduction: string | null;
  impact: string | null;
  reporterName: string | null;
  reporterEmail: string | null;
  credit: CreditPreference;
  status: ReportStatus;
  closeReason: CloseReason | null;
  duplicateOfId: string | null;
  caseId: string | null;
  receivedAt: string;
  ackDueAt: string;
  acknowledgedAt: string | null;
  closedAt: string | null;
  lastActivityAt: string;
}

/** One line of a report's timeline. `internal` entries (team notes) are never shown to the reporter. */
/** 'progress': a milestone of the case the report became (Fix Team formed, fix ready, scheduled, published). */
export type EntryKind = 'submitted' | 'message' | 'note' | 'status' | 'progress';
export type EntryAuthor = 'reporter' | 'team' | 'system';

export interface ReportEntry {
  id: string;
  reportId: string;
  kind: EntryKind;
  visibility: 'public' | 'internal';
  authorKind: EntryAuthor;
  /** Display name of the team member, or null for the reporter and the system. */
  authorName: string | null;
  body: string | null;
  statusFrom: ReportStatus | null;
  statusTo: ReportStatus | null;
  /** e.g. { closeReason, duplicateOfTrackingId, reopenReason, caseNumber } */
  detail: Record<string, unknown> | null;
  createdAt: string;
  attachments: AttachmentMeta[];
}

export interface AttachmentMeta {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  createdAt: string;
}
