import type { DbOrTrx } from '../../db/types.js';
import { DomainError } from '../../errors.js';
import { csafFilename } from '../../formats/csaf-provider.js';
import { csafVexTrackingId } from '../../formats/csaf-vex.js';
import {
  findPublishedAdvisoryRow,
  findPublishedAdvisoryRowById,
  publishedRecordRows,
  revisionRows,
} from './advisories.repository.js';
import type { AdvisoryRecord } from './advisory-record.js';

// The public records as the public routes look them up: by public id (optionally at an older
// revision) and by CSAF file name. Only a published advisory has a record, so a draft is the same
// NOT_FOUND as an id that never was, on every route.

const notFound = () => new DomainError('NOT_FOUND', 'No published advisory with this id.');

/** How many records the CSAF directory searches for a file name (as advisory-search's scan). */
const SCAN_LIMIT = 5000;

/**
 * The record of a published advisory: the current one, or revision `revision` as it was published
 * then. NOT_FOUND for a draft, an unknown id or a revision that does not exist.
 */
export async function publicRecordAt(
  db: DbOrTrx,
  input: { projectId: string; publicId: string; revision?: number },
): Promise<AdvisoryRecord> {
  const row = await findPublishedAdvisoryRow(db, input.projectId, input.publicId);
  if (!row?.record) throw notFound();
  if (input.revision === undefined) return JSON.parse(row.record) as AdvisoryRecord;
  const revision = (await revisionRows(db, row.case_id)).find((r) => r.number === input.revision);
  if (!revision) throw new DomainError('NOT_FOUND', 'The advisory has no such revision.');
  return JSON.parse(revision.record) as AdvisoryRecord;
}

export type CsafProfileName = 'advisory' | 'vex';

export interface CsafDocumentRef {
  projectId: string;
  /** The advisory's current record. */
  record: AdvisoryRecord;
  profile: CsafProfileName;
}

/**
 * The published advisory whose CSAF advisory or VEX document is `<year>/<file>` in the provider's
 * directory (csaf-provider.ts csafPath: the year of the initial release, the tracking id's file
 * name). Tracking ids are public ids, unique on the instance (each starts with its project's slug).
 */
export async function findCsafDocument(db: DbOrTrx, input: { year: string; file: string }): Promise<CsafDocumentRef> {
  // Public ids are `<SLUG>-<year>-<n>` with a slug of [a-z0-9-]: the file name is the id in lower
  // case, so it leads back to one id (and "-vex" to its VEX document); the name is checked again below.
  const stem = /^([a-z0-9-]+)\.json$/.exec(input.file)?.[1];
  const vex = stem?.endsWith('-vex') ?? false;
  const publicId = stem ? (vex ? stem.slice(0, -'-vex'.length) : stem).toUpperCase() : '';
  const row = publicId ? await findPublishedAdvisoryRowById(db, publicId) : undefined;
  if (row?.record) {
    const record = JSON.parse(row.record) as AdvisoryRecord;
    const expected = csafFilename(vex ? csafVexTrackingId(record) : record.id);
    if (record.published.slice(0, 4) === input.year && expected === input.file) {
      return { projectId: row.project_id, record, profile: vex ? 'vex' : 'advisory' };
    }
  }
  throw new DomainError('NOT_FOUND', 'No CSAF document with this name.');
}

/** Every current record with its project's id, newest first (the instance-wide pages and feeds). */
export async function publicRecordsWithProject(
  db: DbOrTrx,
  projectId?: string,
): Promise<{ projectId: string; record: AdvisoryRecord }[]> {
  const rows = await publishedRecordRows(db, { projectId, limit: SCAN_LIMIT });
  return rows.flatMap((r) =>
    r.record ? [{ projectId: r.project_id, record: JSON.parse(r.record) as AdvisoryRecord }] : [],
  );
}
