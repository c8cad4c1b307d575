/** Where a case stands; a new case starts in triage and moves on as the fix is prepared (later issues). */
export type CaseState = 'triage';

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
  createdAt: string;
  updatedAt: string;
}
