/** An entry of the append-only audit log, as shown to project admins. */
export interface AuditEntry {
  id: string;
  at: string;
  actorKind: string;
  actorLabel: string;
  projectId: string | null;
  action: string;
  subjectType: string;
  subjectId: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown> | null;
}

/** Where a request came from, recorded beside every audited act. */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}

export const noOrigin: RequestOrigin = { ip: null, userAgent: null };
