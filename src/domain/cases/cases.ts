import type { CaseState } from './case-state.js';

export type { CaseState } from './case-state.js';

/** A vulnerability being handled under embargo, born from an accepted report. */
export interface Case {
  id: string;
  projectId: string;
  /** Per-project sequence number: case #1, #2 ... of this project. */
  number: number;
  title: string;
  state: CaseState;
  embargoed: boolean;
  createdBy: string | null;
  /** Who is reminded when the case does not move: the member who opened it, later the Fix Lead. */
  ownerId: string | null;
  /** The Fix Lead, once the Fix Team formed. */
  fixLeadId: string | null;
  /** When a leak or exploitation ended the embargo early (the release is then expedited). */
  embargoBrokenAt: string | null;
  createdAt: string;
  updatedAt: string;
}
