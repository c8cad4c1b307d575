// Rows as stored (see db/schema.ts for the conventions). Mailing lists and announcements (migration 0006).

export interface MailingListsTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  kinds: string;
  created_at: string;
}

export interface ListSubscriptionsTable {
  id: string;
  list_id: string;
  project_id: string;
  email: string;
  status: string;
  confirm_token_hash: string | null;
  confirm_expires_at: string | null;
  created_at: string;
  confirmed_at: string | null;
  unsubscribed_at: string | null;
}

export interface AnnouncementTemplatesTable {
  project_id: string;
  kind: string;
  subject: string;
  body: string;
  updated_at: string;
  updated_by: string | null;
}

export interface AnnouncementsTable {
  id: string;
  project_id: string;
  case_id: string | null;
  kind: string;
  dedupe_key: string;
  subject: string;
  body: string;
  published_at: string;
  fanned_out_at: string | null;
}

export interface AnnouncementDeliveriesTable {
  announcement_id: string;
  subscription_id: string;
  email_id: string;
  created_at: string;
}
