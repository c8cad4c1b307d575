import crypto from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iso } from '../../src/clock.js';
import type { Trx } from '../../src/db/types.js';
import { saveAdvisoryDraft } from '../../src/domain/advisories/advisories.service.js';
import { emptyAdvisoryText } from '../../src/domain/advisories/advisories.js';
import { addToPool } from '../../src/domain/advisories/cve-ids.service.js';
import {
  DEFAULT_SECURITY_SETTINGS,
  updateSecuritySettings,
} from '../../src/domain/advisories/security-settings.service.js';
import { listSubscriptions } from '../../src/domain/announcements/lists.service.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import type { Case } from '../../src/domain/cases/cases.js';
import { insertHistory } from '../../src/domain/cases/cases.repository.js';
import { inviteCollaborator } from '../../src/domain/cases/collaborators.service.js';
import { defaultEmbargoPolicy } from '../../src/domain/cases/embargo-policy.js';
import { requireDistributor } from '../../src/domain/distributors/distributors.service.js';
import { newId } from '../../src/domain/ids.js';
import { uploadPatch } from '../../src/domain/cases/patches.service.js';
import { addBranch } from '../../src/domain/projects/branches.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import * as triage from '../../src/domain/reports/triage.service.js';
import { triageFinding } from '../../src/domain/scan/findings.service.js';
import { registerInventory } from '../../src/domain/scan/inventories.service.js';
import { recordsFromFile } from '../../src/domain/scan/osv-files.js';
import { importOsvRecords } from '../../src/domain/scan/vulndb.service.js';
import { defaultSeverityPolicy } from '../../src/domain/severity/severity-policy.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { createSession } from '../../src/domain/users/sessions.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { SESSION_COOKIE } from '../../src/http/plugins/auth.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { makeDistributor, makeList } from '../support/disclosure.js';
import { absorbCookies, cookieHeader, csrfFrom, makeProject, makeUser } from '../support/factories.js';
import { errorCode } from '../support/intake.js';
import { makeReport } from '../support/report-factory.js';

// An external collaborator invited to case A sees case A and nothing else of the project. Every
// route under /p/:slug/ and /api/v1/projects/:slug/ is sent as that collaborator, with case A's
// number and real ids of the project, and must be refused unless the table below says otherwise.
// The table is written by hand from policy.ts (case.read and case.patch.upload admit a case's
// collaborators; nothing else does, project.public.read admits everyone); a route the app registers under those prefixes without a row
// here fails the first test, so a new route cannot quietly open the project to collaborators.

/**
 * case-read: a read of the case in the URL ('case.read' with its caseId): case A answers, case B of
 * the same project and a case of another project are 404.
 * patch-upload: 'case.patch.upload' on the case in the URL: the collaborator gets past authorization
 * on case A (the request may still be refused as malformed), and 404 on case B.
 * public: open to anyone, signed in or not (the intake form, the project's public key); covered by
 * the route matrix; here only checked to show no embargoed text.
 * refused: 403 or 404, and nothing in the database changes.
 */
type Kind = 'case-read' | 'patch-upload' | 'public' | 'refused';

interface Entry {
  kind: Kind;
  /** A body that passes the route's schema, so that the answer is the policy's, not a 400. */
  body?: Record<string, unknown> | ((w: World) => Record<string, unknown>);
  /** Values of the route's parameters other than slug and number, when the defaults (World.ids) do not fit. */
  params?: (w: World) => Record<string, string>;
  /** case-read: text the answer for case A shows, proving it is the case's (its title unless given). */
  shows?: (w: World) => string;
}

const CRITICAL_31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const PACKAGE = { ecosystem: 'npm', name: 'left-pad' };
const PATCH_FILENAME = 'collaborator-matrix-fix.diff';
const CVE_ID = 'CVE-2026-7654320';
const PATCH_MARKER = 'MATRIX-FIX-MARKER';
const DIFF = [
  '--- a/src/parser.c',
  '+++ b/src/parser.c',
  '@@ -1,3 +1,3 @@',
  ' int parse(void) {',
  '-  return 1;',
  `+  return 0; /* ${PATCH_MARKER} */`,
  ' }',
  '',
].join('\n');
/** The embargo policy form as the settings page posts it (the defaults, with a longer embargo). */
const EMBARGO_POLICY_FORM: Record<string, string> = {
  ...Object.fromEntries(Object.entries(defaultEmbargoPolicy).map(([k, v]) => [k, String(v)])),
  maxDays: '30',
  ...Object.fromEntries(defaultEmbargoPolicy.releaseWeekdays.map((d) => [`releaseWeekdays.${d}`, '1'])),
};
delete EMBARGO_POLICY_FORM.releaseWeekdays;
/** A patch for the branch kept for uploads (so the patch the reads look at stays the latest). */
const patchUpload = (w: World) => ({ branchId: w.ids.uploadBranch, filename: 'upload.diff', content: DIFF });
/** A small upstream OSV record, for the import routes. */
const OSV_RECORD = {
  schema_version: '1.6.0',
  id: 'MATRIX-COLLABORATOR-1',
  modified: '2026-02-01T00:00:00Z',
  summary: 'Imported by a collaborator',
  affected: [
    {
      package: { ecosystem: 'npm', name: 'left-pad' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.1' }] }],
    },
  ],
};
/** The record the project's finding is about: collaborator-matrix-pkg below 2.0.0. */
const SCAN_VULN = {
  schema_version: '1.6.0',
  id: 'MATRIX-COLLABORATOR-DEPS-1',
  modified: '2026-02-01T00:00:00Z',
  summary: 'Overflow in collaborator-matrix-pkg',
  affected: [
    {
      package: { ecosystem: 'npm', name: 'collaborator-matrix-pkg' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }],
    },
  ],
};
const LOCKFILE = 'package-lock.json';
/** A package-lock.json installing collaborator-matrix-pkg at `version` (1.0.0 is affected, 2.0.0 fixed). */
const scanLockfile = (version: string) =>
  JSON.stringify({
    lockfileVersion: 3,
    packages: { '': { name: 'app' }, 'node_modules/collaborator-matrix-pkg': { version } },
  });
/** The API names a branch by name, and a registration by its name on the branch. */
const scanInventory = (w: World) => ({ branch: w.ids.scanBranchName, name: LOCKFILE });

const TABLE: Record<string, Entry> = {
  // The case itself: the page, and the same over JSON.
  'GET /p/:slug/cases/:number': { kind: 'case-read' },
  'GET /api/v1/projects/:slug/cases/:number': { kind: 'case-read' },
  'GET /api/v1/projects/:slug/cases/:number/history': { kind: 'case-read', shows: () => 'collaborator.invited' },
  // Its affected versions, and its patches: what a collaborator works on.
  'GET /api/v1/projects/:slug/cases/:number/affected': { kind: 'case-read', shows: (w) => w.branchName },
  'GET /p/:slug/cases/:number/patches/:id': {
    kind: 'case-read',
    params: (w) => ({ id: w.ids.patch }),
    shows: () => PATCH_FILENAME,
  },
  'GET /p/:slug/cases/:number/patches/:id/raw': {
    kind: 'case-read',
    params: (w) => ({ id: w.ids.patch }),
    shows: () => PATCH_MARKER,
  },
  'GET /api/v1/projects/:slug/cases/:number/patches': { kind: 'case-read', shows: () => PATCH_FILENAME },
  'GET /api/v1/projects/:slug/cases/:number/patches/:id': {
    kind: 'case-read',
    params: (w) => ({ id: w.ids.patch }),
    shows: () => PATCH_FILENAME,
  },
  // Uploading a patch (case.patch.upload).
  'POST /p/:slug/cases/:number/patches': { kind: 'patch-upload', body: (w) => patchUpload(w) },
  'POST /api/v1/projects/:slug/cases/:number/patches': { kind: 'patch-upload', body: (w) => patchUpload(w) },

  // Public.
  'GET /p/:slug/report': { kind: 'public' },
  'POST /p/:slug/report': { kind: 'public' },
  'GET /p/:slug/pgp-key.asc': { kind: 'public' },
  'POST /api/v1/projects/:slug/reports': { kind: 'public' },

  // Changes to the case: the team's.
  'POST /p/:slug/cases/:number/cvss': { kind: 'refused' },
  'POST /p/:slug/cases/:number/ssvc': { kind: 'refused' },
  'POST /p/:slug/cases/:number/exploitation': { kind: 'refused' },
  'POST /p/:slug/cases/:number/cwes/add': { kind: 'refused' },
  'POST /p/:slug/cases/:number/cwes/remove': { kind: 'refused' },
  'POST /p/:slug/cases/:number/transition': { kind: 'refused' },
  'POST /p/:slug/cases/:number/collaborators': { kind: 'refused' },
  'POST /p/:slug/cases/:number/collaborators/:id/revoke': { kind: 'refused', params: (w) => ({ id: w.ids.grant }) },
  'PATCH /api/v1/projects/:slug/cases/:number/severity': {
    kind: 'refused',
    body: { reason: 'Remote code execution.', cvssV31: CRITICAL_31 },
  },
  'POST /api/v1/projects/:slug/cases/:number/cwes': { kind: 'refused', body: { cwe: 'CWE-787' } },
  'DELETE /api/v1/projects/:slug/cases/:number/cwes/:cwe': { kind: 'refused', params: () => ({ cwe: '79' }) },
  'POST /api/v1/projects/:slug/cases/:number/transitions': { kind: 'refused', body: { action: 'start_fix' } },
  // Collaborators do not see or manage each other.
  'GET /api/v1/projects/:slug/cases/:number/collaborators': { kind: 'refused' },
  'POST /api/v1/projects/:slug/cases/:number/collaborators': {
    kind: 'refused',
    body: { email: 'friend-of-collaborator@example.net' },
  },
  'DELETE /api/v1/projects/:slug/cases/:number/collaborators/:id': {
    kind: 'refused',
    params: (w) => ({ id: w.ids.grant }),
  },
  // Reviewing patches, the Fix Team and the affected versions: the team's.
  'POST /p/:slug/cases/:number/patches/:id/review': {
    kind: 'refused',
    params: (w) => ({ id: w.ids.patch }),
    body: { verdict: 'approve' },
  },
  'POST /api/v1/projects/:slug/cases/:number/patches/:id/reviews': {
    kind: 'refused',
    params: (w) => ({ id: w.ids.patch }),
    body: { verdict: 'approve' },
  },
  'POST /p/:slug/cases/:number/team/lead': { kind: 'refused', body: (w) => ({ userId: w.ids.userId }) },
  'POST /p/:slug/cases/:number/team/members/add': { kind: 'refused', body: (w) => ({ userId: w.ids.userId }) },
  'POST /p/:slug/cases/:number/team/members/remove': { kind: 'refused', body: (w) => ({ userId: w.ids.userId }) },
  // Who is on the Fix Team: part of the case a collaborator works on.
  'GET /api/v1/projects/:slug/cases/:number/team': { kind: 'case-read', shows: () => '"members"' },
  // The embargo: collaborators read it with the case; planning it is the team's.
  'GET /api/v1/projects/:slug/cases/:number/embargo': { kind: 'case-read', shows: () => '"policy"' },
  'PUT /api/v1/projects/:slug/cases/:number/embargo': { kind: 'refused', body: {} },
  'POST /p/:slug/cases/:number/embargo/propose': { kind: 'refused' },
  'POST /p/:slug/cases/:number/embargo/activate': { kind: 'refused' },
  'POST /p/:slug/cases/:number/embargo/revise': {
    kind: 'refused',
    body: { releaseAt: '2026-03-12T16:00Z', reason: 'Later.' },
  },
  // The project's calendar of embargoes and its webhooks: members and admins only.
  'GET /p/:slug/embargoes': { kind: 'refused' },
  'GET /p/:slug/settings/webhooks': { kind: 'refused' },
  'POST /p/:slug/settings/webhooks': { kind: 'refused', body: { url: 'https://203.0.113.9/hook' } },
  'POST /p/:slug/settings/webhooks/:id/remove': { kind: 'refused', params: () => ({ id: 'no-such-webhook' }) },
  'POST /p/:slug/settings/webhooks/:id/test': { kind: 'refused', params: () => ({ id: 'no-such-webhook' }) },
  'PUT /api/v1/projects/:slug/cases/:number/team/lead': { kind: 'refused', body: (w) => ({ userId: w.ids.userId }) },
  'POST /api/v1/projects/:slug/cases/:number/team/members': {
    kind: 'refused',
    body: (w) => ({ userId: w.ids.userId }),
  },
  'DELETE /api/v1/projects/:slug/cases/:number/team/members/:userId': { kind: 'refused' },
  'POST /p/:slug/cases/:number/affected/branches/:branchId': { kind: 'refused', body: { status: 'affected' } },
  'POST /p/:slug/cases/:number/affected/packages': { kind: 'refused', body: PACKAGE },
  'POST /p/:slug/cases/:number/affected/packages/:id/remove': { kind: 'refused' },
  'POST /p/:slug/cases/:number/affected/packages/:id/ranges': { kind: 'refused', body: { introduced: '0' } },
  'POST /p/:slug/cases/:number/affected/ranges/:id/remove': { kind: 'refused' },
  'PUT /api/v1/projects/:slug/cases/:number/affected/branches/:branchId': {
    kind: 'refused',
    body: { status: 'affected' },
  },
  'POST /api/v1/projects/:slug/cases/:number/affected/packages': { kind: 'refused', body: PACKAGE },
  'DELETE /api/v1/projects/:slug/cases/:number/affected/packages/:id': { kind: 'refused' },
  'POST /api/v1/projects/:slug/cases/:number/affected/packages/:id/ranges': {
    kind: 'refused',
    body: { introduced: '0' },
  },
  'DELETE /api/v1/projects/:slug/cases/:number/affected/ranges/:id': { kind: 'refused' },

  // The project's reports, mail and inbox: the report case A came from included.
  'GET /p/:slug/inbox': { kind: 'refused' },
  'GET /p/:slug/mail': { kind: 'refused' },
  'GET /p/:slug/audit': { kind: 'refused' },
  'GET /p/:slug/reports/:id': { kind: 'refused' },
  'GET /p/:slug/reports/:id/attachments/:attachmentId': { kind: 'refused' },
  ...Object.fromEntries(
    ['acknowledge', 'request-info', 'resume', 'accept', 'close', 'reopen', 'message', 'note'].map((action) => [
      `POST /p/:slug/reports/:id/${action}`,
      { kind: 'refused', body: { message: 'Hello.', body: 'Note.', reason: 'informative' } } satisfies Entry,
    ]),
  ),
  'GET /p/:slug/mail/inbound': { kind: 'refused' },
  'GET /p/:slug/mail/inbound/:id/raw': { kind: 'refused' },
  'POST /p/:slug/mail/inbound/:id/reprocess': { kind: 'refused' },

  // Settings.
  'GET /p/:slug/settings': { kind: 'refused' },
  'POST /p/:slug/settings': { kind: 'refused', body: { name: 'Taken over', ackTargetHours: '48' } },
  'GET /p/:slug/settings/branches': { kind: 'refused' },
  'POST /p/:slug/settings/branches': { kind: 'refused', body: { name: '9.x', endOfSupport: '' } },
  'POST /p/:slug/settings/branches/:id': { kind: 'refused', params: (w) => ({ id: w.ids.branch }) },
  'POST /p/:slug/settings/branches/:id/remove': { kind: 'refused', params: (w) => ({ id: w.ids.branch }) },
  'GET /p/:slug/settings/members': { kind: 'refused' },
  'POST /p/:slug/settings/members': { kind: 'refused', body: { email: 'x@example.net', role: 'admin' } },
  'POST /p/:slug/settings/members/:userId/role': { kind: 'refused', body: { role: 'security' } },
  'POST /p/:slug/settings/members/:userId/remove': { kind: 'refused' },
  'GET /p/:slug/settings/imap': { kind: 'refused' },
  'POST /p/:slug/settings/imap': { kind: 'refused' },
  'POST /p/:slug/settings/imap/:id': { kind: 'refused' },
  'POST /p/:slug/settings/imap/:id/enabled': { kind: 'refused' },
  'POST /p/:slug/settings/imap/:id/remove': { kind: 'refused' },
  'POST /p/:slug/settings/imap/:id/poll': { kind: 'refused' },
  'GET /p/:slug/settings/pgp': { kind: 'refused' },
  'POST /p/:slug/settings/pgp': { kind: 'refused' },
  'POST /p/:slug/settings/pgp/generate': { kind: 'refused' },
  'POST /p/:slug/settings/pgp/remove': { kind: 'refused' },
  'GET /p/:slug/settings/mail': { kind: 'refused' },
  'POST /p/:slug/settings/mail': { kind: 'refused', body: { address: 'taken@intake.example.org' } },
  'POST /p/:slug/settings/mail/:id/remove': { kind: 'refused' },
  'GET /p/:slug/settings/severity': { kind: 'refused' },
  'POST /p/:slug/settings/severity': { kind: 'refused' },
  'POST /p/:slug/settings/severity/reset': { kind: 'refused' },
  'GET /api/v1/projects/:slug/severity-policy': { kind: 'refused' },
  'PUT /api/v1/projects/:slug/severity-policy': { kind: 'refused', body: { ...defaultSeverityPolicy } },

  // Issue 5. The case's advisory draft: read with the case, written by the team.
  'GET /p/:slug/cases/:number/advisory': { kind: 'case-read', shows: (w) => w.advisoryA },
  'GET /api/v1/projects/:slug/cases/:number/advisory': { kind: 'case-read', shows: (w) => w.advisoryA },
  'POST /p/:slug/cases/:number/advisory': { kind: 'refused', body: { summary: 'Rewritten by a collaborator' } },
  'PUT /api/v1/projects/:slug/cases/:number/advisory': {
    kind: 'refused',
    body: { summary: 'Rewritten by a collaborator' },
  },
  // The go's controls, the distributors, the announcements and the retrospective: the team's.
  'POST /p/:slug/cases/:number/embargo/cancel': { kind: 'refused', body: { reason: 'Not ready.' } },
  'POST /p/:slug/cases/:number/embargo/release-now': { kind: 'refused' },
  'POST /api/v1/projects/:slug/cases/:number/release': {
    kind: 'refused',
    body: { action: 'cancel', reason: 'Not ready.' },
  },
  'POST /p/:slug/cases/:number/distributors/notify': { kind: 'refused' },
  // Who of the distributors received what: contacts' addresses are not a collaborator's to know.
  'GET /api/v1/projects/:slug/cases/:number/disclosure': { kind: 'refused' },
  'GET /p/:slug/cases/:number/announcements/preview/:kind': { kind: 'refused' },
  'GET /p/:slug/cases/:number/retrospective': { kind: 'refused' },
  'POST /p/:slug/cases/:number/retrospective': { kind: 'refused', body: { body: 'Rewritten.' } },
  'GET /api/v1/projects/:slug/cases/:number/retrospective': { kind: 'refused' },
  'PUT /api/v1/projects/:slug/cases/:number/retrospective': { kind: 'refused', body: { body: 'Rewritten.' } },

  // The project's public face (covered by the route matrix; here only checked to show no embargoed text).
  'GET /p/:slug/distributors': { kind: 'public' },
  'GET /p/:slug/lists': { kind: 'public' },
  'POST /p/:slug/lists/subscribe': {
    kind: 'public',
    body: (w) => ({ email: 'collaborator-subscribes@example.net', list: w.ids.list }),
  },
  'GET /p/:slug/lists/confirm': { kind: 'public' },
  'GET /p/:slug/lists/confirm/:token': { kind: 'public' },
  'POST /p/:slug/lists/confirm/:token': { kind: 'public' },
  'GET /p/:slug/lists/unsubscribe/:token': { kind: 'public' },
  'POST /p/:slug/lists/unsubscribe/:token': { kind: 'public', body: { 'List-Unsubscribe': 'One-Click' } },
  'GET /p/:slug/announcements': { kind: 'public' },
  'GET /p/:slug/announcements.atom': { kind: 'public' },
  'GET /p/:slug/announcements/:id': { kind: 'public' },
  'GET /p/:slug/advisories': { kind: 'public' },
  'GET /p/:slug/advisories/:publicId': { kind: 'public' },

  // Settings of issue 5: the project's admins only.
  'GET /p/:slug/settings/embargo': { kind: 'refused' },
  'POST /p/:slug/settings/embargo': { kind: 'refused', body: EMBARGO_POLICY_FORM },
  'POST /p/:slug/settings/embargo/reset': { kind: 'refused' },
  'GET /api/v1/projects/:slug/embargo-policy': { kind: 'refused' },
  'PUT /api/v1/projects/:slug/embargo-policy': { kind: 'refused', body: { ...defaultEmbargoPolicy, maxDays: 30 } },
  'GET /p/:slug/settings/distributors': { kind: 'refused' },
  'POST /p/:slug/settings/distributors/program': {
    kind: 'refused',
    body: { criteria: 'Anyone.', terms: 'No terms.' },
  },
  'POST /p/:slug/settings/distributors': { kind: 'refused', body: { name: 'Collaborator Linux', website: '' } },
  'GET /p/:slug/settings/distributors/:id': { kind: 'refused', params: (w) => ({ id: w.ids.distributor }) },
  'POST /p/:slug/settings/distributors/:id/contacts': {
    kind: 'refused',
    params: (w) => ({ id: w.ids.distributor }),
    body: { email: 'collaborator-as-contact@example.net', name: 'Me', pgpKey: '' },
  },
  'POST /p/:slug/settings/distributors/:id/contacts/:contactId/remove': {
    kind: 'refused',
    params: (w) => ({ id: w.ids.distributor }),
  },
  'POST /p/:slug/settings/distributors/:id/accept': {
    kind: 'refused',
    params: (w) => ({ id: w.ids.distributor }),
    body: { note: 'Accepted on their behalf.' },
  },
  'POST /p/:slug/settings/distributors/:id/remove': { kind: 'refused', params: (w) => ({ id: w.ids.distributor }) },
  'GET /p/:slug/settings/lists': { kind: 'refused' },
  'POST /p/:slug/settings/lists': {
    kind: 'refused',
    body: { name: 'collaborator-list', description: 'Mine.', 'kinds.release': '1' },
  },
  'GET /p/:slug/settings/lists/:id': { kind: 'refused', params: (w) => ({ id: w.ids.list }) },
  'POST /p/:slug/settings/lists/:id/remove': { kind: 'refused', params: (w) => ({ id: w.ids.list }) },
  'POST /p/:slug/settings/lists/:id/subscriptions/:subscriptionId/remove': {
    kind: 'refused',
    params: (w) => ({ id: w.ids.list }),
  },
  'GET /p/:slug/settings/announcements': { kind: 'refused' },
  'POST /p/:slug/settings/announcements/:kind': {
    kind: 'refused',
    body: { subject: 'Taken over', body: 'Taken over.' },
  },
  'POST /p/:slug/settings/announcements/:kind/reset': { kind: 'refused' },

  // Issue 6. What the case's advisory says besides its text, its CVE id, its revisions and its
  // withdrawal: the team's; the list of its revisions is read with the case. The project is a CNA
  // with an id in its pool, so a CVE request that got past the policy would succeed.
  'GET /api/v1/projects/:slug/cases/:number/advisory/revisions': { kind: 'case-read', shows: () => '"revisions"' },
  'POST /p/:slug/cases/:number/advisory/meta': { kind: 'refused', body: { aliases: 'GHSA-coll-abor-ator1' } },
  'PUT /api/v1/projects/:slug/cases/:number/advisory/meta': {
    kind: 'refused',
    body: { aliases: ['GHSA-coll-abor-ator1'] },
  },
  'POST /p/:slug/cases/:number/advisory/cve': { kind: 'refused', body: (w) => ({ cveId: w.ids.cveId }) },
  'POST /api/v1/projects/:slug/cases/:number/advisory/cve': { kind: 'refused', body: (w) => ({ cveId: w.ids.cveId }) },
  'POST /p/:slug/cases/:number/advisory/cve/remove': { kind: 'refused' },
  'DELETE /api/v1/projects/:slug/cases/:number/advisory/cve': { kind: 'refused' },
  'POST /p/:slug/cases/:number/advisory/cve-request': {
    kind: 'refused',
    body: { requestedFrom: 'GitHub', cveId: 'CVE-2026-7654321' },
  },
  'PUT /api/v1/projects/:slug/cases/:number/advisory/cve-request': {
    kind: 'refused',
    body: { requestedFrom: 'GitHub', cveId: 'CVE-2026-7654321' },
  },
  'POST /p/:slug/cases/:number/advisory/revisions': {
    kind: 'refused',
    body: { revisionSummary: 'Rewritten by a collaborator.', summary: 'Rewritten by a collaborator' },
  },
  'POST /api/v1/projects/:slug/cases/:number/advisory/revisions': {
    kind: 'refused',
    body: { summary: 'Rewritten by a collaborator.', text: { summary: 'Rewritten by a collaborator' } },
  },
  'POST /p/:slug/cases/:number/advisory/withdraw': { kind: 'refused', body: { reason: 'Withdrawn.', confirm: '1' } },
  'POST /api/v1/projects/:slug/cases/:number/advisory/withdraw': { kind: 'refused', body: { reason: 'Withdrawn.' } },
  // Opening cases from upstream advisories: the team's. Case A's import result is read with the case.
  'GET /p/:slug/cases/import': { kind: 'refused' },
  'POST /p/:slug/cases/import': { kind: 'refused', body: { format: 'osv', record: JSON.stringify(OSV_RECORD) } },
  'POST /api/v1/projects/:slug/cases/import': { kind: 'refused', body: { format: 'osv', record: OSV_RECORD } },
  'GET /p/:slug/cases/:number/imported': { kind: 'case-read' },
  // The project's security settings and its pool of CVE ids: admins (reads over JSON: members).
  'GET /p/:slug/settings/security': { kind: 'refused' },
  'POST /p/:slug/settings/security': { kind: 'refused', body: { cveSource: 'request', securityTxtDays: '30' } },
  'GET /api/v1/projects/:slug/security-settings': { kind: 'refused' },
  'PUT /api/v1/projects/:slug/security-settings': {
    kind: 'refused',
    body: {
      publisherName: 'Taken over',
      cveSource: 'request',
      cveRequestFrom: null,
      bountyText: null,
      bountyUrl: null,
      securityTxtDays: 30,
    },
  },
  'GET /p/:slug/settings/cve-ids': { kind: 'refused' },
  'POST /p/:slug/settings/cve-ids': { kind: 'refused', body: { cveIds: 'CVE-2026-7654322' } },
  'POST /p/:slug/settings/cve-ids/reserve': { kind: 'refused', body: { amount: '1' } },
  'POST /p/:slug/settings/cve-ids/:cveId/reject': { kind: 'refused', body: { reason: 'Not needed.' } },
  'GET /api/v1/projects/:slug/cve-ids': { kind: 'refused' },
  'POST /api/v1/projects/:slug/cve-ids': { kind: 'refused', body: { cveIds: ['CVE-2026-7654322'] } },
  'POST /api/v1/projects/:slug/cve-ids/reserve': { kind: 'refused', body: { amount: 1 } },
  'POST /api/v1/projects/:slug/cve-ids/:cveId/reject': { kind: 'refused', body: { reason: 'Not needed.' } },
  // The project's own registrations as a dependent of other packages: its admins'.
  'GET /p/:slug/settings/dependents': { kind: 'refused' },
  'POST /p/:slug/settings/dependents': { kind: 'refused', body: { purls: 'pkg:npm/left-pad@1.0.0' } },
  'POST /p/:slug/settings/dependents/:id/remove': { kind: 'refused' },
  'GET /api/v1/projects/:slug/dependents': { kind: 'refused' },
  'POST /api/v1/projects/:slug/dependents': { kind: 'refused', body: { purls: ['pkg:npm/left-pad@1.0.0'] } },
  // Issue 7. The dependency monitoring of the release branches (a branch with a lockfile, and so a
  // finding, triaged with a note): the members'. A refused upload would have fixed the finding.
  'GET /p/:slug/dependencies': { kind: 'refused' },
  'POST /p/:slug/dependencies/branches/:branchId/inventories': {
    kind: 'refused',
    params: (w) => ({ branchId: w.ids.scanBranch }),
    body: { name: LOCKFILE, format: LOCKFILE, content: scanLockfile('2.0.0') },
  },
  'POST /p/:slug/dependencies/inventories/:id/remove': { kind: 'refused', params: (w) => ({ id: w.ids.inventory }) },
  'GET /p/:slug/dependencies/findings/:id': { kind: 'refused', params: (w) => ({ id: w.ids.finding }) },
  'POST /p/:slug/dependencies/findings/:id': {
    kind: 'refused',
    params: (w) => ({ id: w.ids.finding }),
    body: { state: 'fixed', justification: '', owner: '', note: 'Closed by a collaborator.' },
  },
  'PUT /api/v1/projects/:slug/branches/:branch/inventories/:name': {
    kind: 'refused',
    params: scanInventory,
    body: { format: LOCKFILE, content: scanLockfile('2.0.0') },
  },
  'GET /api/v1/projects/:slug/branches/:branch/inventories': { kind: 'refused', params: scanInventory },
  'DELETE /api/v1/projects/:slug/branches/:branch/inventories/:name': { kind: 'refused', params: scanInventory },
  'GET /api/v1/projects/:slug/findings': { kind: 'refused' },
  'PATCH /api/v1/projects/:slug/findings/:id': {
    kind: 'refused',
    params: (w) => ({ id: w.ids.finding }),
    body: { state: 'fixed', note: 'Closed by a collaborator.' },
  },
  // Every format of a published advisory, security.txt, SECURITY.md and the acknowledgments: public.
  'GET /p/:slug/advisories/:publicId/osv.json': { kind: 'public' },
  'GET /p/:slug/advisories/:publicId/cve.json': { kind: 'public' },
  'GET /p/:slug/advisories/:publicId/cyclonedx-vex.json': { kind: 'public' },
  'GET /p/:slug/osv/all.zip': { kind: 'public' },
  'GET /p/:slug/security.txt': { kind: 'public' },
  'GET /p/:slug/SECURITY.md': { kind: 'public' },
  'GET /p/:slug/acknowledgments': { kind: 'public' },
};

const PREFIXES = ['/p/:slug/', '/api/v1/projects/:slug/'];
const unique = () => crypto.randomBytes(4).toString('hex');

/** The project, its cases and ids every request is built from. */
interface World {
  project: Project;
  other: Project;
  caseA: Case;
  caseB: Case;
  caseOther: Case;
  /** Default values of route parameters: real ids of the project, case A's own where there is one. */
  ids: {
    id: string;
    attachmentId: string;
    userId: string;
    cwe: string;
    grant: string;
    branch: string;
    branchId: string;
    uploadBranch: string;
    patch: string;
    /** The project's distributor, its contact, its mailing list and a subscription to it (settings). */
    distributor: string;
    contactId: string;
    list: string;
    subscriptionId: string;
    /** A public announcement or advisory the project never published, and a list link that is no link. */
    publicId: string;
    token: string;
    kind: string;
    /** A reserved id of the project's pool (the project is a CNA). */
    cveId: string;
    /** A release branch with a lockfile registered (its id and name), that registration, and its finding. */
    scanBranch: string;
    scanBranchName: string;
    inventory: string;
    finding: string;
  };
  branchName: string;
  /** The summary of case A's advisory draft: what its advisory page and API show. */
  advisoryA: string;
  /**
   * Text the collaborator may never see: case B's title, case A's report and note, the other project's
   * case, the note on the project's finding.
   */
  secrets: string[];
  /** Shown on case A's page and API: proof that an allowed answer is not vacuous. */
  caseATitle: string;
}

describe.each(engines())('a collaborator of one case, on every project route, on %s', (engine) => {
  let ctx: TestContext;
  let world: World;
  let collaborator: User;
  const agent = { jar: {} as Record<string, string>, csrf: '', bearer: '' };
  const tx = <T>(fn: (trx: Trx) => Promise<T>): Promise<T> => ctx.deps.db.transaction().execute(fn);
  const system = { actor: { kind: 'system', label: 'collaborator-matrix' } as const, origin: noOrigin };

  async function acceptedCase(project: Project, title: string, description: string): Promise<Case> {
    const { report } = await makeReport(ctx, project, { title, description });
    const accepted = await tx((trx) =>
      triage.accept(trx, ctx.deps, { ...system, projectId: project.id, reportId: report.id }),
    );
    return accepted.case;
  }

  /** Row counts and the changeable columns of what a refused request could touch: it must stay the same. */
  async function fingerprint(): Promise<string> {
    const { db } = ctx.deps;
    const tables = [
      'users',
      'memberships',
      'reports',
      'report_entries',
      'cases',
      'case_history',
      'case_severity',
      'case_cwes',
      'case_collaborators',
      'release_branches',
      'intake_addresses',
      'imap_accounts',
      'project_pgp_keys',
      'severity_policies',
      'outbound_emails',
      'case_team',
      'case_branches',
      'case_packages',
      'package_ranges',
      'patches',
      'patch_reviews',
      'webhooks',
      'embargo_policies',
      'embargoes',
      'embargo_revisions',
      'advisories',
      'distributor_programs',
      'distributors',
      'distributor_contacts',
      'distributor_acceptances',
      'distributor_notices',
      'distributor_recipients',
      'mailing_lists',
      'list_subscriptions',
      'announcement_templates',
      'announcements',
      'retrospectives',
      'advisory_revisions',
      'cve_ids',
      'project_security_settings',
      'inventories',
      'inventory_packages',
      'findings',
    ] as const;
    const counts: Record<string, number> = {};
    for (const table of tables) {
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirstOrThrow();
      counts[table] = Number(row.n);
    }
    const projects = await db.selectFrom('projects').select(['id', 'name', 'updated_at']).orderBy('id').execute();
    const cases = await db
      .selectFrom('cases')
      .select(['id', 'state', 'fix_lead_id', 'updated_at'])
      .orderBy('id')
      .execute();
    const reports = await db.selectFrom('reports').select(['id', 'status']).orderBy('id').execute();
    const grants = await db.selectFrom('case_collaborators').select(['id', 'revoked_at']).orderBy('id').execute();
    const branches = await db.selectFrom('release_branches').select(['id', 'end_of_support']).orderBy('id').execute();
    const advisories = await db
      .selectFrom('advisories')
      .select(['case_id', 'updated_at', 'cve_id', 'cve_requested_from', 'revision', 'withdrawn_at'])
      .orderBy('case_id')
      .execute();
    const cveIds = await db.selectFrom('cve_ids').select(['cve_id', 'state', 'case_id']).orderBy('cve_id').execute();
    const securitySettings = await db
      .selectFrom('project_security_settings')
      .select(['project_id', 'updated_at'])
      .orderBy('project_id')
      .execute();
    const embargoes = await db
      .selectFrom('embargoes')
      .select(['case_id', 'state', 'release_at', 'updated_at'])
      .orderBy('case_id')
      .execute();
    const distributors = await db.selectFrom('distributors').select(['id', 'removed_at']).orderBy('id').execute();
    const contacts = await db.selectFrom('distributor_contacts').select(['id', 'removed_at']).orderBy('id').execute();
    const subscriptions = await db.selectFrom('list_subscriptions').select(['id', 'status']).orderBy('id').execute();
    const settings = await db.selectFrom('embargo_policies').select(['project_id', 'updated_at']).execute();
    const programs = await db.selectFrom('distributor_programs').select(['project_id', 'terms_version']).execute();
    const inventories = await db
      .selectFrom('inventories')
      .select(['id', 'sha256', 'uploaded_at'])
      .orderBy('id')
      .execute();
    const findings = await db
      .selectFrom('findings')
      .select(['id', 'state', 'justification', 'note', 'owner_user_id', 'present', 'updated_at'])
      .orderBy('id')
      .execute();
    return JSON.stringify({
      counts,
      projects,
      cases,
      reports,
      grants,
      branches,
      advisories,
      embargoes,
      distributors,
      contacts,
      subscriptions,
      settings,
      programs,
      cveIds,
      securitySettings,
      inventories,
      findings,
    });
  }

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    const { db } = ctx.deps;
    const project = await makeProject(db, ctx.clock, { name: 'Matrix Project' });
    const other = await makeProject(db, ctx.clock, { name: 'Other Matrix Project' });
    const admin = await makeUser(db, ctx.clock, { project, role: 'admin' });
    const caseATitle = `Case A visible ${unique()}`;
    const secrets = {
      reportA: `SECRET-REPORT-A-${unique()}`,
      noteA: `SECRET-NOTE-A-${unique()}`,
      caseB: `SECRET-CASE-B-${unique()}`,
      caseOther: `SECRET-OTHER-${unique()}`,
      findingNote: `SECRET-FINDING-NOTE-${unique()}`,
    };
    const caseA = await acceptedCase(project, caseATitle, `Details ${secrets.reportA}`);
    const caseB = await acceptedCase(project, secrets.caseB, `Details ${secrets.caseB}`);
    const caseOther = await acceptedCase(other, secrets.caseOther, `Details ${secrets.caseOther}`);
    // Advisory drafts: case A's the collaborator may read, case B's and the other project's not.
    const advisoryA = `Advisory A visible ${unique()}`;
    for (const [theCase, summary] of [
      [caseA, advisoryA],
      [caseB, secrets.caseB],
      [caseOther, secrets.caseOther],
    ] as const) {
      await tx((trx) =>
        saveAdvisoryDraft(trx, ctx.deps, {
          ...system,
          theCase,
          text: { ...emptyAdvisoryText, summary, details: `Draft details of ${summary}` },
        }),
      );
    }
    // The project's distributor programme and mailing list, for the settings routes' real ids.
    // makeDistributor answers the distributor as added, before its contacts: read it back.
    const distributor = await requireDistributor(db, project.id, (await makeDistributor(ctx, project)).id);
    const list = await makeList(ctx, project, { name: 'matrix-announce', subscribers: ['subscriber@example.net'] });
    const [subscription] = await listSubscriptions(db, list.id);
    const [contact] = distributor.contacts;
    if (!subscription || !contact) throw new Error('the distributor or the list was not set up');
    const file = { filename: 'poc.txt', contentType: 'text/plain', content: Buffer.from('proof') };
    // A report of the project with an attachment and a team note, which the collaborator must not reach.
    const { report } = await makeReport(ctx, project, {
      title: 'Open report',
      description: secrets.reportA,
      attachments: [file],
    });
    await tx((trx) =>
      triage.addNote(trx, ctx.deps, { ...system, projectId: project.id, reportId: report.id, body: secrets.noteA }),
    );
    const attachment = await db
      .selectFrom('attachments')
      .select('id')
      .where('report_id', '=', report.id)
      .executeTakeFirstOrThrow();
    const branchName = `matrix-${unique()}.x`;
    const branch = await tx((trx) =>
      addBranch(trx, ctx.clock, { by: system, projectId: project.id, name: branchName, endOfSupport: null }),
    );
    const uploadBranch = await tx((trx) =>
      addBranch(trx, ctx.clock, { by: system, projectId: project.id, name: 'uploads.x', endOfSupport: null }),
    );
    const patch = await tx((trx) =>
      uploadPatch(trx, ctx.deps, {
        ...system,
        theCase: caseA,
        branchId: branch.id,
        filename: PATCH_FILENAME,
        content: DIFF,
      }),
    );

    // The project is a CNA with a reserved id in its pool, so that the CVE routes have a real id to refuse.
    await tx(async (trx) => {
      await updateSecuritySettings(trx, ctx.deps, {
        ...system,
        projectId: project.id,
        settings: { ...DEFAULT_SECURITY_SETTINGS, cveSource: 'cna' },
      });
      await addToPool(trx, ctx.deps, { ...system, projectId: project.id, cveIds: [CVE_ID], source: 'manual' });
    });
    // A release branch whose lockfile ships a vulnerable version: a registration and a finding, triaged
    // with a note the collaborator may never read. (The vulndb.changed job the import queues is never
    // run: nothing re-evaluates the branch between a row's before and after.)
    const scanBranch = await tx((trx) =>
      addBranch(trx, ctx.clock, { by: system, projectId: project.id, name: 'deps.x', endOfSupport: null }),
    );
    const inventory = await tx(async (trx) => {
      await importOsvRecords(trx, ctx.deps, recordsFromFile('scan.json', Buffer.from(JSON.stringify(SCAN_VULN))));
      const lockfile = { name: LOCKFILE, format: LOCKFILE, text: scanLockfile('1.0.0') };
      const registered = await registerInventory(trx, ctx.deps, {
        ...system,
        projectId: project.id,
        branchId: scanBranch.id,
        ...lockfile,
      });
      return registered.inventory;
    });
    const finding = await db
      .selectFrom('findings')
      .select('id')
      .where('branch_id', '=', scanBranch.id)
      .executeTakeFirstOrThrow();
    await tx((trx) =>
      triageFinding(trx, ctx.deps, {
        ...system,
        projectId: project.id,
        findingId: finding.id,
        state: 'affected',
        note: secrets.findingNote,
      }),
    );
    // The three cases read as opened from an upstream record (the history entry an import writes), so
    // that the import result page of case A answers and those of case B and the other project's refuse.
    for (const theCase of [caseA, caseB, caseOther]) {
      await tx((trx) =>
        insertHistory(trx, {
          id: newId(),
          case_id: theCase.id,
          project_id: theCase.projectId,
          at: iso(ctx.clock.now()),
          actor_user_id: null,
          actor_label: system.actor.label,
          change: 'case.imported',
          previous: null,
          value: JSON.stringify({ source: 'osv', id: 'MATRIX-UPSTREAM-1', warnings: [] }),
          reason: null,
        }),
      );
    }

    collaborator = await makeUser(db, ctx.clock, { name: 'Outside Maintainer' });
    const { collaborator: grant } = await tx((trx) =>
      inviteCollaborator(trx, ctx.deps, { ...system, theCase: caseA, email: collaborator.email }),
    );
    world = {
      project,
      other,
      caseA,
      caseB,
      caseOther,
      ids: {
        id: report.id,
        attachmentId: attachment.id,
        userId: admin.id,
        cwe: '79',
        grant: grant.id,
        branch: branch.id,
        branchId: branch.id,
        uploadBranch: uploadBranch.id,
        patch: patch.id,
        distributor: distributor.id,
        contactId: contact.id,
        list: list.id,
        subscriptionId: subscription.id,
        publicId: 'MATRIX-2026-0001',
        token: 'not-a-link-token',
        kind: 'release',
        cveId: CVE_ID,
        scanBranch: scanBranch.id,
        scanBranchName: scanBranch.name,
        inventory: inventory.id,
        finding: finding.id,
      },
      branchName,
      advisoryA,
      secrets: Object.values(secrets),
      caseATitle,
    };

    agent.jar[SESSION_COOKIE] = await tx((trx) =>
      createSession(trx, ctx.clock, { userId: collaborator.id, days: 1, origin: noOrigin }),
    );
    const page = await ctx.app.inject({
      method: 'GET',
      url: '/projects',
      headers: { cookie: cookieHeader(agent.jar) },
    });
    absorbCookies(agent.jar, page.headers['set-cookie']);
    agent.csrf = csrfFrom(page.body);
    agent.bearer = (
      await tx((trx) =>
        createApiToken(trx, ctx.deps, {
          actor: actorOfUser(collaborator),
          origin: noOrigin,
          name: 'matrix',
          expiresInDays: 30,
        }),
      )
    ).token;
  });
  afterAll(() => ctx.close());

  const projectRoutes = () =>
    ctx.app.routeList
      .filter((r) => r.method !== 'HEAD' && PREFIXES.some((p) => r.url.startsWith(p)))
      .map((r) => `${r.method} ${r.url}`);

  it('classifies every route under /p/:slug/ and /api/v1/projects/:slug/, and no route that does not exist', () => {
    const registered = new Set(projectRoutes());
    expect(
      [...registered].filter((r) => !(r in TABLE)),
      'routes missing from the table',
    ).toEqual([]);
    expect(
      Object.keys(TABLE).filter((r) => !registered.has(r)),
      'rows for no route',
    ).toEqual([]);
  });

  /** The route's URL for `theCase` of `project`, with the table's or the world's ids. */
  function urlOf(route: string, project: Project, theCase: Case): { method: string; url: string } {
    const [method = 'GET', pattern = ''] = route.split(' ');
    const values: Record<string, string> = {
      ...world.ids,
      ...TABLE[route]?.params?.(world),
      slug: project.slug,
      number: String(theCase.number),
    };
    const url = pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`${route}: no value for :${name}; give one in the table`);
      return encodeURIComponent(value);
    });
    return { method, url };
  }

  async function send(route: string, target: { method: string; url: string }): Promise<LightMyRequestResponse> {
    const given = TABLE[route]?.body ?? {};
    const body = typeof given === 'function' ? given(world) : given;
    const method = target.method as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    if (target.url.startsWith('/api/')) {
      // The session cookie goes too: the API must act on the bearer token alone.
      const headers = {
        cookie: cookieHeader(agent.jar),
        accept: 'application/json',
        authorization: `Bearer ${agent.bearer}`,
      };
      return method === 'GET' || method === 'DELETE'
        ? ctx.app.inject({ method, url: target.url, headers })
        : ctx.app.inject({
            method,
            url: target.url,
            headers: { ...headers, 'content-type': 'application/json' },
            payload: JSON.stringify(body),
          });
    }
    const headers = { cookie: cookieHeader(agent.jar), accept: 'text/html' };
    if (method === 'GET') return ctx.app.inject({ method, url: target.url, headers });
    const form = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)]));
    return ctx.app.inject({
      method,
      url: target.url,
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: agent.csrf, ...form }).toString(),
    });
  }

  const expectNoSecrets = (res: LightMyRequestResponse, what: string) => {
    for (const secret of world.secrets) expect(res.body, `${what} shows ${secret}`).not.toContain(secret);
  };
  /** Refused by the policy: 404, or 403 FORBIDDEN (never a CSRF refusal, which would prove nothing). */
  const expectRefused = (res: LightMyRequestResponse, what: string) => {
    const code = errorCode(res);
    const refused = res.statusCode === 404 || (res.statusCode === 403 && code === 'FORBIDDEN');
    expect(refused, `${what}: ${res.statusCode} ${code ?? ''} ${res.headers.location ?? ''}`).toBe(true);
  };

  for (const [route, entry] of Object.entries(TABLE)) {
    it(`${route} -> ${entry.kind}`, async () => {
      const before = await fingerprint();
      const own = urlOf(route, world.project, world.caseA);
      const res = await send(route, own);
      const what = `${own.method} ${own.url}`;
      expectNoSecrets(res, what);
      switch (entry.kind) {
        case 'case-read': {
          expect(res.statusCode, what).toBe(200);
          expect(res.body).toContain(entry.shows?.(world) ?? world.caseATitle);
          for (const [project, theCase] of [
            [world.project, world.caseB],
            [world.other, world.caseOther],
          ] as const) {
            const elsewhere = urlOf(route, project, theCase);
            const refused = await send(route, elsewhere);
            expect(refused.statusCode, `${elsewhere.method} ${elsewhere.url}`).toBe(404);
            expectNoSecrets(refused, elsewhere.url);
          }
          break;
        }
        case 'patch-upload': {
          // Stored: 201 over JSON, 303 back to the case from the form (never to the sign-in page).
          const stored =
            res.statusCode === 201 || (res.statusCode === 303 && !/^\/login/.test(String(res.headers.location)));
          expect(stored, `${what}: ${res.statusCode} ${errorCode(res) ?? ''}`).toBe(true);
          expectRefused(await send(route, urlOf(route, world.project, world.caseB)), `${route} on case B`);
          break;
        }
        case 'public':
          break;
        case 'refused':
          expectRefused(res, what);
          expect(await fingerprint(), `${what} changed something`).toBe(before);
          break;
      }
    });
  }
});
