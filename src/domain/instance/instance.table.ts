// Rows as stored (see db/schema.ts for the conventions).
export interface InstanceSettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface RateLimitCountersTable {
  bucket: string;
  window_start: string;
  count: number;
}
