import type { ProjectRole } from '../../policies/actor.js';

export interface ReleaseBranch {
  id: string;
  name: string;
  /** ISO date (YYYY-MM-DD) when support ends, or null while supported indefinitely. */
  endOfSupport: string | null;
}

export interface Project {
  id: string;
  slug: string;
  name: string;
  repositoryUrl: string | null;
  securityContact: string | null;
  ackTargetHours: number;
  /** The project's own acknowledgement template, or null for the default. */
  ackTemplate: string | null;
  createdAt: string;
}

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: ProjectRole;
  away: boolean;
}

export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
