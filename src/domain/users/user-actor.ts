import type { Actor } from '../../policies/actor.js';
import type { User } from './users.js';

/**
 * The actor for audit entries about a user acting before a session exists (signing in, setting a
 * password). Only the id and label matter there, so the project roles are left empty.
 */
export function actorOfUser(user: User): Extract<Actor, { kind: 'user' }> {
  return {
    kind: 'user',
    userId: user.id,
    email: user.email,
    name: user.name,
    isInstanceAdmin: user.isInstanceAdmin,
    roles: new Map(),
  };
}
