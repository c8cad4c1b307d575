import type { NoticeSnapshot } from '../domain/distributors/distributors.js';
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
    }
  /** To a new contact of a distributor: what the portal is, and a setup link for a new account. */
  | {
      template: 'distributor-welcome';
      name: string;
      projectName: string;
      distributorName: string;
      portalUrl: string;
      setupUrl: string | null;
      expiresAt: string | null;
    }
  /** To each contact of a distributor: the embargoed advisory draft, with the patches attached. */
  | {
      template: 'distributor-notice';
      projectName: string;
      distributorName: string;
      termsVersion: number;
      snapshot: NoticeSnapshot;
      /** One-time link that records this recipient's acknowledgement of receipt. */
      ackUrl: string;
      noticeUrl: string;
      /** Where to write back: the project's security contact, or null. */
      contact: string | null;
    }
  /** To the recipients of a notice: the release moved, is a day away, happened, or the embargo broke. */
  | {
      template: 'distributor-update';
      projectName: string;
      distributorName: string;
      caseNumber: number;
      kind: 'prerelease' | 'revision' | 'broken' | 'released' | 'cancelled';
      releaseAt: string | null;
      previousReleaseAt: string | null;
      /** Why the release moved or the embargo broke, as the team wrote it (the recipients are under embargo). */
      reason: string | null;
      noticeUrl: string;
      advisoryUrl: string | null;
    }
  /** Double opt-in: the link that confirms a subscription to a mailing list. */
  | {
      template: 'list-confirm';
      projectName: string;
      listName: string;
      confirmUrl: string;
      expiresAt: string;
    }
  /** One subscriber's copy of a public announcement. */
  | {
      template: 'announcement';
      projectName: string;
      listName: string;
      subject: string;
      /** Markdown. */
      body: string;
      announcementUrl: string;
      unsubscribeUrl: string;
    }
  /** To the Fix Team: a step of the case's timeline was done. Numbers only, never the case's words. */
  | {
      template: 'case-timeline';
      projectName: string;
      caseNumber: number;
      caseUrl: string;
      step: 'distributors-notified' | 'fix-forthcoming' | 'prerelease' | 'published' | 'retrospective';
      /** How many recipients the step reached, when it has some. */
      count: number | null;
    }
  /** Double opt-in of an outside dependent: nothing is sent to the address until its owner confirms. */
  | {
      template: 'dependent-confirm';
      dependentName: string;
      /** The registration's name (the file's, or "package URLs") and its package count. */
      registration: string;
      packageCount: number;
      confirmUrl: string;
      expiresAt: string;
    }
  /** To a dependent: advisories now affect packages it registered (an outside subscriber, or a project's members). */
  | {
      template: 'dependent-alert';
      dependentName: string;
      /** The project of this instance that registered, or null for an outside subscriber. */
      projectName: string | null;
      alerts: {
        advisoryId: string;
        summary: string;
        advisoryUrl: string;
        ecosystem: string;
        packageName: string;
        /** "" when the dependent named the package without a version. */
        version: string;
        fixedVersion: string | null;
        /** Every fixed version the advisory names, for a package registered without a version. */
        knownFixes: string[];
      }[];
      /** The subscriber's manage link (registrations, unsubscribe), or the project's settings page. */
      manageUrl: string;
    }
  /** To a project's members: re-evaluating a release branch found vulnerable package versions it ships. */
  | {
      template: 'findings-new';
      projectName: string;
      branchName: string;
      findingsUrl: string;
      findings: {
        ecosystem: string;
        name: string;
        version: string;
        vulnId: string;
        severity: string;
        fixedVersion: string | null;
        dueAt: string | null;
      }[];
      /** How many more new findings than listed. */
      more: number;
    };

export interface EmailEnvelope {
  to: string;
  /** The project the mail is about, or null for instance mail (account setup). */
  projectId: string | null;
  reportId: string | null;
  email: Email;
  /** Extra headers kept with the email (List-Id, List-Unsubscribe ...): one line each, no line breaks. */
  headers?: Record<string, string>;
  /** Text files sent with the email (a distributor's patches), in order. */
  attachments?: EmailAttachment[];
  /** An armored OpenPGP public key the email is encrypted to at send time (a distributor's contact). */
  encryptToKey?: string | null;
}

export interface EmailAttachment {
  filename: string;
  contentType: string;
  content: string;
}
