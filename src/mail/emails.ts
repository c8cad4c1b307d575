import type { CloseReason, ReportStatus } from '../domain/reports/report-state.js';

/**
 * Every email Embargo sends, as data. A template in mail/templates renders each one; callers
 * enqueue with queueEmail (mail/outbox.ts) inside the transaction of the change that causes it.
 * Subjects and bodies carry tracking ids, never a report's title or text, except the team's own
 * message to the reporter, which is the point of that email.
 */
export type Email =
  | { template: 'report-received'; projectName: string; trackingId: string; statusUrl: string; ackTargetHours: number }
  | {
      template: 'reporter-update';
      projectName: string;
      trackingId: string;
      statusUrl: string;
      /** The report's state after the change, or null for a plain message. */
      status: ReportStatus | null;
      closeReason: CloseReason | null;
      /** The team's message (Markdown), or null. */
      message: string | null;
    }
  | { template: 'team-new-report'; projectName: string; trackingId: string; reportUrl: string; ackDueAt: string }
  | { template: 'team-reporter-replied'; projectName: string; trackingId: string; reportUrl: string }
  | { template: 'account-setup'; name: string; setupUrl: string; expiresAt: string }
  | {
      template: 'case-invitation';
      name: string;
      projectName: string;
      /** Where to sign in (the public URL's /login); the case is listed on /projects after that. */
      signInUrl: string;
      /** A one-time link to choose a password, for an account that has none yet; null otherwise. */
      setupUrl: string | null;
      expiresAt: string | null;
    }
  | {
      template: 'case-progress';
      projectName: string;
      trackingId: string;
      statusUrl: string;
      milestone: 'fix-team-formed' | 'fix-ready' | 'scheduled' | 'published';
      /** The sentence the reporter reads (case-progress.ts milestoneWords). */
      words: string;
    }
  | {
      template: 'case-reminder';
      projectName: string;
      caseNumber: number;
      caseUrl: string;
      idleDays: number;
    };

export interface EmailEnvelope {
  to: string;
  /** The project the mail is about, or null for instance mail (account setup). */
  projectId: string | null;
  reportId: string | null;
  email: Email;
}
