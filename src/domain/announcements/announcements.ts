/*
 * Public announcements of a project, and the mailing lists that carry them. Kinds:
 * - fix_forthcoming: "a fix is coming on date X": the date, severity and affected components, no details;
 * - release: the actionable announcement of the go (who is affected, how to check, fixed versions per
 *   branch, how to upgrade, mitigations, how to detect exploitation, credits);
 * - update: the release time moved (or the embargo broke) after a fix-forthcoming notice went out.
 * Each list says which kinds it carries (security-announce: all; announce: releases).
 */

export const ANNOUNCEMENT_KINDS = ['fix_forthcoming', 'release', 'update'] as const;
export type AnnouncementKind = (typeof ANNOUNCEMENT_KINDS)[number];

export const KIND_WORDS: Record<AnnouncementKind, string> = {
  fix_forthcoming: 'Fix forthcoming',
  release: 'Security release',
  update: 'Release update',
};

export interface MailingList {
  id: string;
  projectId: string;
  /** A short address-like name: announce, security-announce. */
  name: string;
  description: string;
  kinds: AnnouncementKind[];
  createdAt: string;
  /** Confirmed subscribers. */
  subscribers: number;
}

export const SUBSCRIPTION_STATUSES = ['pending', 'confirmed', 'unsubscribed'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export interface Subscription {
  id: string;
  listId: string;
  email: string;
  status: SubscriptionStatus;
  createdAt: string;
  confirmedAt: string | null;
  unsubscribedAt: string | null;
}

export interface Announcement {
  id: string;
  projectId: string;
  caseId: string | null;
  kind: AnnouncementKind;
  subject: string;
  /** Markdown. */
  body: string;
  publishedAt: string;
  /** When every subscriber's copy was in the outbox; null while the fan-out runs. */
  fannedOutAt: string | null;
}
