/*
 * The CSAF 2.0 VEX profile (section 4.5) of an advisory's record: the same product tree and
 * statuses as the security advisory, as a document of its own. The profile's extra demands are
 * met by the shared assembly: each known_affected product has a remediation (6.1.27.10), each
 * known_not_affected one an `impact` threat saying why (6.1.27.9; the record has no machine
 * justification, so no flag is invented), and the vulnerability always has `ids` (6.1.27.8).
 */

import type { AdvisoryRecord } from '../domain/advisories/advisory-record.js';
import { type CsafDocument, csafDocument } from './csaf.js';

/** The VEX document's tracking id: a document of its own needs an id of its own within the publisher's namespace. */
export function csafVexTrackingId(record: AdvisoryRecord): string {
  return `${record.id}-VEX`;
}

/** The record as a CSAF 2.0 VEX document (a withdrawn record gives a CSAF Base document, as in csaf.ts). */
export function toCsafVex(record: AdvisoryRecord): CsafDocument {
  return csafDocument(record, {
    category: 'csaf_vex',
    trackingId: csafVexTrackingId(record),
    selfUrl: record.links.csafVex,
    selfSummary: 'This CSAF VEX document',
    sibling: { url: record.links.csaf, summary: 'The CSAF security advisory of this VEX document' },
  });
}
