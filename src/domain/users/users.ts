import type { ProjectRole } from '../../policies/actor.js';

export interface User {
  id: string;
  email: string;
  name: string;
  isInstanceAdmin: boolean;
  disabled: boolean;
  away: boolean;
  hasPassword: boolean;
  createdAt: string;
}

export interface SessionInfo {
  user: User;
  /** Hash of the session cookie's token; also the seed of this session's CSRF token. */
  sessionIdHash: string;
  roles: Map<string, ProjectRole>;
}

export type PasswordTokenPurpose = 'first-admin' | 'setup' | 'reset';

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
