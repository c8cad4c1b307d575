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
  | { kind: 'webhook.deliver'; deliveryId: string };

export type JobKind = JobPayload['kind'];
export type PayloadOf<K extends JobKind> = Extract<JobPayload, { kind: K }>;
