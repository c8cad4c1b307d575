// Rows as stored (see db/schema.ts for the conventions).

export interface ProjectPgpKeysTable {
  project_id: string;
  fingerprint: string;
  /** Armored public key, published on the report form and at a stable URL. */
  public_key: string;
  /** Armored private key sealed with the server key; never logged, never shown after upload. */
  private_key_sealed: string;
  created_at: string;
}
