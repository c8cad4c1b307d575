export type ProjectRole = 'admin' | 'security';

/** Who is asking. Built once per request by the auth plugin; policies decide from it alone. */
export type Actor =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      userId: string;
      email: string;
      name: string;
      isInstanceAdmin: boolean;
      /** projectId -> role, for every project the user belongs to. */
      roles: ReadonlyMap<string, ProjectRole>;
      /** caseId -> projectId, for every case the user was invited to as a collaborator (not revoked). */
      caseGrants?: ReadonlyMap<string, string>;
      /** distributorId -> projectId, for every distributor the user is a (not removed) contact of. */
      distributorOf?: ReadonlyMap<string, string>;
    }
  /** A reporter holding a report's private status link. */
  | { kind: 'reporter'; reportId: string; projectId: string }
  | { kind: 'system'; label: string };

export const anonymous: Actor = { kind: 'anonymous' };

export function roleIn(actor: Actor, projectId: string): ProjectRole | undefined {
  return actor.kind === 'user' ? actor.roles.get(projectId) : undefined;
}

/** A short label for audit entries and logs (never a secret). */
export function actorLabel(actor: Actor): string {
  switch (actor.kind) {
    case 'anonymous':
      return 'anonymous';
    case 'user':
      return actor.email;
    case 'reporter':
      return 'reporter';
    case 'system':
      return actor.label;
  }
}
