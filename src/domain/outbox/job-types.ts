/**
 * Every kind of background job, as one discriminated union. Adding a kind here makes the worker's
 * handler table incomplete until a handler exists, so no job can be enqueued without one.
 */
export type JobPayload =
  | { kind: 'email.send'; emailId: string }
  | { kind: 'mail.process'; inboundId: string }
  /** Reminds a case's owner when nothing moved; `dueAt` must equal the case's pending reminder time. */
  | { kind: 'case.remind'; caseId: string; dueAt: string }
  /** Posts one signed webhook delivery (webhook_deliveries row). */
  | { kind: 'webhook.deliver'; deliveryId: string }
  /** Puts every subscriber's copy of an announcement in the outbox, in batches. */
  | { kind: 'announcement.fanout'; announcementId: string }
  /**
   * Does one step of a case's embargo timeline (the notices, the go, the retrospective); `dueAt` must
   * equal the step's planned time on the embargo, or the job is stale (the date moved) and does nothing.
   */
  | { kind: 'embargo.step'; caseId: string; step: EmbargoStep; dueAt: string }
  /** After the go: tells the projects that depend on the fixed packages (the dependents hook). */
  | { kind: 'case.dependents'; caseId: string }
  /** Publishes, updates or rejects the CVE record of the case's advisory at CVE Services, to match it. */
  | { kind: 'cve.sync'; caseId: string }
  /**
   * The vulnerability database changed at `since` (an import, a project's advisory): re-evaluates
   * every branch's findings and alerts the dependents of the packages the new records affect.
   */
  | { kind: 'vulndb.changed'; since: string };

/** The steps of an embargo's timeline, in order. */
export const EMBARGO_STEPS = [
  'distributor_notice',
  'public_notice',
  'prerelease_notice',
  'release',
  'retrospective',
] as const;
export type EmbargoStep = (typeof EMBARGO_STEPS)[number];

export type JobKind = JobPayload['kind'];
export type PayloadOf<K extends JobKind> = Extract<JobPayload, { kind: K }>;
