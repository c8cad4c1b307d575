import crypto from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/clock.js';
import type { Trx } from '../../src/db/types.js';
import type { AdvisoryText } from '../../src/domain/advisories/advisories.js';
import {
  publishAdvisory,
  requirePublicRecord,
  saveAdvisoryDraft,
} from '../../src/domain/advisories/advisories.service.js';
import { addToPool, recordRequestedCve } from '../../src/domain/advisories/cve-ids.service.js';
import {
  DEFAULT_SECURITY_SETTINGS,
  updateSecuritySettings,
} from '../../src/domain/advisories/security-settings.service.js';
import { publishAnnouncement } from '../../src/domain/announcements/announcements.service.js';
import { requestSubscription, unsubscribeToken } from '../../src/domain/announcements/lists.service.js';
import { confirmDependent, requestDependentSubscription } from '../../src/domain/scan/dependents.service.js';
import { triageFinding } from '../../src/domain/scan/findings.service.js';
import { registerInventory } from '../../src/domain/scan/inventories.service.js';
import { recordsFromFile } from '../../src/domain/scan/osv-files.js';
import { importOsvRecords } from '../../src/domain/scan/vulndb.service.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { addPackage, addRange, setBranchStatus } from '../../src/domain/cases/affected.service.js';
import type { Case } from '../../src/domain/cases/cases.js';
import { setCaseEmbargoed } from '../../src/domain/cases/cases.repository.js';
import { requireCase } from '../../src/domain/cases/cases.service.js';
import { activateEmbargo, proposeEmbargo } from '../../src/domain/cases/embargo.service.js';
import { setFixLead } from '../../src/domain/cases/fix-team.service.js';
import { reviewPatch, uploadPatch } from '../../src/domain/cases/patches.service.js';
import type { Distributor } from '../../src/domain/distributors/distributors.js';
import { acceptTerms, requireDistributor } from '../../src/domain/distributors/distributors.service.js';
import { getProgram, updateProgram } from '../../src/domain/distributors/program.service.js';
import { generateProjectKey } from '../../src/domain/pgp/pgp-keys.service.js';
import { addBranch } from '../../src/domain/projects/branches.service.js';
import type { Project, ReleaseBranch } from '../../src/domain/projects/projects.js';
import { defaultSeverityPolicy } from '../../src/domain/severity/severity-policy.js';
import { createApiToken } from '../../src/domain/users/api-tokens.service.js';
import { createSession } from '../../src/domain/users/sessions.service.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import type { User } from '../../src/domain/users/users.js';
import { SESSION_COOKIE } from '../../src/http/plugins/auth.js';
import { testWorker } from '../mail/support.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { makeDistributor, makeList, PATCH_FOR, readyCase, SYSTEM } from '../support/disclosure.js';
import { absorbCookies, cookieHeader, csrfFrom, makeProject, makeUser, TEST_PASSWORD } from '../support/factories.js';
import { errorCode } from '../support/intake.js';
import { makeReport } from '../support/report-factory.js';

// A distributor's contact sees the notices sent to their own organisation and nothing else. The
// contact of distributor D1 of project P, which was told of case A of P by the embargo timeline,
// sends every route the app registers, with real ids, and must be refused (403 or 404) and change
// nothing unless the table below says otherwise. P has a second distributor D2, told of case A and
// of case B (D1 had not accepted the terms yet when B's notice went out); another project Q has its
// own distributor D3, told of Q's case. The table is written by hand from policy.ts
// ('distributor.portal' for any account, 'distributor.notice.read' and 'distributor.terms.accept'
// for a live contact of the distributor in question; a contact is no member of the project, so
// nothing of its cases, reports, inbox, settings or API is theirs). A route the app registers
// without a row fails the first test, so a new route cannot quietly open anything to distributors.

/**
 * allowed: the contact's own (the portal, D1's notice of case A, its patches and acknowledgement,
 * D1's terms): the answer is checked, and every variant in `refusedWith` (another distributor's,
 * another project's, a notice D1 was never sent, a patch not in the notice) is refused.
 * open: open to any account or to anyone (public pages, the account's own settings, sign-in):
 * 2xx, or a redirect anywhere but the sign-in page.
 * refused: 403 FORBIDDEN or 404, and nothing in the database changes. A route under a project is
 * sent for case A and case B of P and for Q's case.
 * Every answer, whatever its kind, is checked to show none of the canaries.
 */
type Kind = 'allowed' | 'open' | 'refused';
type Body = Record<string, unknown>;

interface Entry {
  kind: Kind;
  /** A body that passes the route's schema, so that the answer is the policy's, not a 400. */
  body?: Body | ((w: World) => Body);
  /** Values of the route's parameters other than slug and number, when the defaults (World.ids) do not fit. */
  params?: (w: World) => Record<string, string>;
  query?: string;
  /** allowed and open: what the answer must show or have done. */
  check?: (res: LightMyRequestResponse, w: World) => Promise<void> | void;
  /** allowed: other values of the parameters, each refused with no change. */
  refusedWith?: (w: World) => Record<string, Record<string, string>>;
  /** open: sent with a session of its own (signing out must not end the one the other rows use). */
  ownSession?: boolean;
}

const CRITICAL_31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const PACKAGE = { ecosystem: 'npm', name: 'left-pad' };
const DIFF = ['--- a/src/parser.c', '+++ b/src/parser.c', '@@ -1 +1 @@', '-  return 1;', '+  return 0;', ''].join('\n');
const unique = () => crypto.randomBytes(4).toString('hex');
const redirectedTo = (res: LightMyRequestResponse) => String(res.headers.location ?? '');

/** 2xx, or 303 anywhere but the sign-in page. */
function expectOk(res: LightMyRequestResponse, what: string): void {
  const ok =
    (res.statusCode >= 200 && res.statusCode < 300) ||
    ((res.statusCode === 302 || res.statusCode === 303) && !/^\/login/.test(redirectedTo(res)));
  expect(ok, `${what}: ${res.statusCode} ${errorCode(res) ?? ''} ${redirectedTo(res)}`).toBe(true);
}

const refused = (body?: Entry['body'], params?: Entry['params']): Entry => ({
  kind: 'refused',
  ...(body ? { body } : {}),
  ...(params ? { params } : {}),
});
const open = (extra: Omit<Entry, 'kind'> = {}): Entry => ({ kind: 'open', ...extra });
const triageForm = { message: 'Hello.', body: 'Note.', reason: 'informative' };
/** A small upstream OSV record, for the import routes. */
const OSV_RECORD = {
  schema_version: '1.6.0',
  id: 'MATRIX-DISTRIBUTOR-1',
  modified: '2026-02-01T00:00:00Z',
  summary: 'Imported by a distributor',
  affected: [
    {
      package: { ecosystem: 'npm', name: 'left-pad' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.1' }] }],
    },
  ],
};
/** The record P's finding is about: distributor-matrix-pkg below 2.0.0. */
const SCAN_VULN = {
  schema_version: '1.6.0',
  id: 'MATRIX-DISTRIBUTOR-DEPS-1',
  modified: '2026-02-01T00:00:00Z',
  summary: 'Overflow in distributor-matrix-pkg',
  affected: [
    {
      package: { ecosystem: 'npm', name: 'distributor-matrix-pkg' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }],
    },
  ],
};
const LOCKFILE = 'package-lock.json';
/** A package-lock.json installing distributor-matrix-pkg at `version` (1.0.0 is affected, 2.0.0 fixed). */
const scanLockfile = (version: string) =>
  JSON.stringify({
    lockfileVersion: 3,
    packages: { '': { name: 'app' }, 'node_modules/distributor-matrix-pkg': { version } },
  });
/** The API names a branch by name, and a registration by its name on the branch. */
const scanInventory = (w: World) => ({ branch: w.ids.scanBranchName, name: LOCKFILE });

const TABLE: Record<string, Entry> = {
  // --- The portal: the contact's own organisation only --------------------------------------------
  'GET /distributor': {
    kind: 'allowed',
    check: (res, w) => {
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(`data-notice="${w.notices.d1A}"`);
      expect(res.body.match(/data-notice="/g), 'one notice listed').toHaveLength(1);
      expect(res.body).toContain(`data-organisation="${w.d1.id}"`);
      for (const id of [w.notices.d2A, w.notices.d2B, w.notices.d3Q, w.d2.id, w.d3.id]) {
        expect(res.body, `the portal shows ${id}`).not.toContain(id);
      }
    },
  },
  'GET /distributor/notices/:id': {
    kind: 'allowed',
    params: (w) => ({ id: w.notices.d1A }),
    check: (res, w) => {
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(w.advisoryA.summary);
      expect(res.body).toContain(`data-patch="${w.patches.a}"`);
      expect(res.body).not.toContain(w.patches.late);
    },
    refusedWith: (w) => noticesNotOfD1(w),
  },
  'POST /distributor/notices/:id/ack': {
    kind: 'allowed',
    params: (w) => ({ id: w.notices.d1A }),
    check: async (res, w) => {
      expect(res.statusCode).toBe(303);
      expect(redirectedTo(res)).toBe(`/distributor/notices/${w.notices.d1A}`);
      const [mine] = await recipientsOf(w, w.notices.d1A);
      expect(mine?.acknowledged_at, 'D1 acknowledged').not.toBeNull();
      expect(await acknowledgedElsewhere(w), "acknowledgements of others' notices").toEqual([]);
    },
    refusedWith: (w) => noticesNotOfD1(w),
  },
  'GET /distributor/notices/:id/patches/:patchId': {
    kind: 'allowed',
    params: (w) => ({ id: w.notices.d1A, patchId: w.patches.a }),
    check: (res, w) => {
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(w.patchTextA);
    },
    refusedWith: (w) => ({
      'a patch of case A uploaded after the notice': { id: w.notices.d1A, patchId: w.patches.late },
      "a patch of case B, in D2's notice only": { id: w.notices.d1A, patchId: w.patches.b },
      "D2's notice of case A": { id: w.notices.d2A, patchId: w.patches.a },
      "D2's notice of case B": { id: w.notices.d2B, patchId: w.patches.b },
      "Q's notice to D3": { id: w.notices.d3Q, patchId: w.patches.q },
    }),
  },
  'GET /distributor/terms/:distributorId': {
    kind: 'allowed',
    params: (w) => ({ distributorId: w.d1.id }),
    check: (res, w) => {
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(w.d1.name);
      expect(res.body).toContain(w.termsP);
    },
    refusedWith: (w) => otherDistributors(w),
  },
  'POST /distributor/terms/:distributorId': {
    kind: 'allowed',
    params: (w) => ({ distributorId: w.d1.id }),
    body: (w) => ({ version: String(w.termsVersionP) }),
    check: async (res, w) => {
      expect(res.statusCode).toBe(303);
      expect(redirectedTo(res)).toBe(`/distributor/terms/${w.d1.id}`);
      const versions = await acceptancesOf(w, w.d1.id);
      expect(versions, "D1's acceptances").toContain(w.termsVersionP);
    },
    refusedWith: (w) => otherDistributors(w),
  },
  // The one-time acknowledgement link of the contact's own notice mail: the token is the credential.
  'GET /distributor/ack/:token': {
    kind: 'allowed',
    params: (w) => ({ token: w.ackToken }),
    check: (res, w) => {
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('data-ack-link');
      expect(res.body).toContain(w.d1.name);
    },
    refusedWith: () => ({ 'a link that is no link': { token: 'not-an-acknowledgement-token' } }),
  },
  'POST /distributor/ack/:token': {
    kind: 'allowed',
    params: (w) => ({ token: w.ackToken }),
    check: async (res, w) => {
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatch(/data-outcome="(recorded|already)"/);
      const [mine] = await recipientsOf(w, w.notices.d1A);
      expect(mine?.acknowledged_at, 'D1 acknowledged').not.toBeNull();
      expect(await acknowledgedElsewhere(w), "acknowledgements of others' notices").toEqual([]);
    },
    refusedWith: () => ({ 'a link that is no link': { token: 'not-an-acknowledgement-token' } }),
  },

  // --- Open to anyone, or to any account ------------------------------------------------------------
  'GET /assets/:file': open({ params: () => ({ file: 'app.css' }) }),
  'GET /healthz': open(),
  'GET /api/openapi.json': open(),
  'GET /api/v1/cvss': open({ query: `vector=${encodeURIComponent(CRITICAL_31)}` }),
  'GET /api/v1/cwe': open({ query: 'q=xss' }),
  'GET /': open(),
  'GET /status': open(),
  'GET /login': open(),
  'POST /login': open({ ownSession: true, body: (w) => ({ email: w.contact.email, password: TEST_PASSWORD }) }),
  'POST /logout': open({ ownSession: true }),
  'GET /projects': open(),
  'GET /account/tokens': open(),
  'POST /account/tokens': open({ body: { name: 'distributor-matrix-2', expiresIn: '30' } }),
  'POST /account/tokens/:id/revoke': open({ params: (w) => ({ id: w.ids.spareToken }) }),
  'POST /account/away': open({ body: { away: '1' } }),
  // The calendar of the projects one is a member of: a contact is a member of none.
  'GET /embargoes': open({
    check: (res) => {
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('No embargo is planned');
      expect(res.body).not.toContain('data-case=');
    },
  }),
  // A project's public face.
  'GET /p/:slug': open(),
  'GET /p/:slug/report': open(),
  'POST /p/:slug/report': open({ body: { title: 'Crash', description: 'It crashes.' } }),
  'POST /api/v1/projects/:slug/reports': open({ body: { title: 'Crash', description: 'It crashes.' } }),
  'GET /p/:slug/pgp-key.asc': open(),
  'GET /p/:slug/distributors': open(),
  'GET /p/:slug/lists': open(),
  'POST /p/:slug/lists/subscribe': open({
    body: (w) => ({ email: 'contact-subscribes@example.net', list: w.ids.list }),
  }),
  'GET /p/:slug/lists/confirm': open(),
  'GET /p/:slug/lists/confirm/:token': open({ params: (w) => ({ token: w.ids.confirmToken }) }),
  'POST /p/:slug/lists/confirm/:token': open({ params: (w) => ({ token: w.ids.confirmToken }) }),
  'GET /p/:slug/lists/unsubscribe/:token': open({ params: (w) => ({ token: w.ids.unsubscribeToken }) }),
  'POST /p/:slug/lists/unsubscribe/:token': open({
    params: (w) => ({ token: w.ids.unsubscribeToken }),
    body: { 'List-Unsubscribe': 'One-Click' },
  }),
  // Ecosystem alerts: anyone may register; the links are credentials of their own. In this order:
  // the confirmation link is used once, and unsubscribing ends the manage link's registrations.
  'GET /dependents/subscribe': open(),
  'POST /dependents/subscribe': open({
    body: { name: 'Shop', email: 'contact-registers@example.net', purls: 'pkg:npm/left-pad@1.0.0' },
  }),
  'GET /dependents/confirm': open(),
  'GET /dependents/confirm/:token': open({ params: (w) => ({ token: w.ids.dependentConfirm }) }),
  'POST /dependents/confirm/:token': open({ params: (w) => ({ token: w.ids.dependentConfirm }) }),
  'GET /dependents/manage': open(),
  'GET /dependents/manage/:token': open({ params: (w) => ({ token: w.ids.dependentManage }) }),
  'POST /dependents/manage/:token': open({
    params: (w) => ({ token: w.ids.dependentManage }),
    body: { purls: 'pkg:npm/left-pad@1.0.0' },
  }),
  'POST /dependents/manage/:token/remove': open({
    params: (w) => ({ token: w.ids.dependentManage }),
    body: (w) => ({ registration: w.ids.dependentRegistration }),
  }),
  'POST /dependents/manage/:token/unsubscribe': open({ params: (w) => ({ token: w.ids.dependentManage }) }),
  'POST /api/v1/dependents': open({
    body: { name: 'Shop', email: 'contact-registers@example.net', purls: ['pkg:npm/left-pad@1.0.0'] },
  }),
  'GET /p/:slug/announcements': open(),
  'GET /p/:slug/announcements.atom': open(),
  'GET /p/:slug/announcements/:id': open({ params: (w) => ({ id: w.ids.announcement }) }),
  'GET /p/:slug/advisories': open(),
  'GET /p/:slug/advisories/:publicId': open({
    check: (res, w) => {
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(w.ids.publicId);
    },
  }),
  // Every format of P's published advisory (it has a CVE id, so its CVE record exists), the CSAF
  // provider, security.txt (P is the instance's well-known project), SECURITY.md and the acknowledgments.
  'GET /advisories': open(),
  'GET /p/:slug/advisories/:publicId/osv.json': open({ check: (res, w) => expect(res.body).toContain(w.ids.publicId) }),
  // The CNA container of the CVE record, as sent to CVE Services.
  'GET /p/:slug/advisories/:publicId/cve.json': open({
    check: (res) => expect(res.json()).toMatchObject({ cnaContainer: { title: 'An old fixed flaw' } }),
  }),
  'GET /p/:slug/advisories/:publicId/cyclonedx-vex.json': open(),
  'GET /p/:slug/osv/all.zip': open(),
  'GET /.well-known/csaf/white/:year/:file': open({
    params: (w) => ({ year: w.ids.csafYear, file: w.ids.csafFile }),
    check: (res, w) => expect(res.body).toContain(w.ids.publicId),
  }),
  'GET /.well-known/csaf/provider-metadata.json': open(),
  'GET /.well-known/csaf/white/feed-tlp-white.json': open(),
  'GET /.well-known/security.txt': open({ check: (res) => expect(res.body).toContain('Contact:') }),
  'GET /p/:slug/security.txt': open(),
  'GET /p/:slug/SECURITY.md': open(),
  'GET /p/:slug/acknowledgments': open(),

  // --- Refused: instance administration, and links the contact does not hold ----------------------
  'GET /admin': refused(),
  'GET /admin/users': refused(),
  'POST /admin/users': refused({ email: 'made-by-contact@example.net', name: 'Made' }),
  'POST /admin/users/:id/disable': refused(undefined, (w) => ({ id: w.ids.userId })),
  'POST /admin/users/:id/enable': refused(undefined, (w) => ({ id: w.ids.userId })),
  'POST /admin/users/:id/instance-admin': refused({ grant: '1' }, (w) => ({ id: w.contact.id })),
  'POST /admin/users/:id/setup-link': refused(undefined, (w) => ({ id: w.ids.userId })),
  'GET /admin/projects': refused(),
  'POST /admin/projects': refused({ name: 'Contact Project', slug: 'contact-project' }),
  'GET /admin/mail': refused(),
  // The very mail that carried the contact's notice: its headers are for instance admins.
  'GET /admin/mail/:id': refused(undefined, (w) => ({ id: w.ids.noticeMail })),
  'POST /admin/mail/:id/retry': refused(undefined, (w) => ({ id: w.ids.noticeMail })),
  // A reporter's status link and an account setup link: the contact holds none; a session counts for nothing.
  'GET /setup/:token': refused(),
  'POST /setup/:token': refused({ password: 'a long enough passphrase' }),
  'GET /status/:token': refused(),
  'POST /status/:token/messages': refused({ message: 'Hello.' }),
  'GET /status/:token/attachments/:id': refused(),
  'GET /api/v1/status/:token': refused(),
  'POST /api/v1/status/:token/messages': refused({ message: 'Hello.' }),
  'GET /api/v1/status/:token/attachments/:id': refused(),

  // --- Refused: every case, report, inbox, settings and API route of a project ---------------------
  'GET /p/:slug/cases/:number': refused(),
  'GET /api/v1/projects/:slug/cases/:number': refused(),
  'GET /api/v1/projects/:slug/cases/:number/history': refused(),
  'GET /api/v1/projects/:slug/cases/:number/affected': refused(),
  'GET /p/:slug/cases/:number/patches/:id': refused(undefined, (w) => ({ id: w.patches.a })),
  'GET /p/:slug/cases/:number/patches/:id/raw': refused(undefined, (w) => ({ id: w.patches.a })),
  'GET /api/v1/projects/:slug/cases/:number/patches': refused(),
  'GET /api/v1/projects/:slug/cases/:number/patches/:id': refused(undefined, (w) => ({ id: w.patches.a })),
  'POST /p/:slug/cases/:number/patches': refused((w) => patchUpload(w)),
  'POST /api/v1/projects/:slug/cases/:number/patches': refused((w) => patchUpload(w)),
  'POST /p/:slug/cases/:number/cvss': refused(),
  'POST /p/:slug/cases/:number/ssvc': refused(),
  'POST /p/:slug/cases/:number/exploitation': refused(),
  'POST /p/:slug/cases/:number/cwes/add': refused(),
  'POST /p/:slug/cases/:number/cwes/remove': refused(),
  'POST /p/:slug/cases/:number/transition': refused(),
  'POST /p/:slug/cases/:number/collaborators': refused(),
  'POST /p/:slug/cases/:number/collaborators/:id/revoke': refused(),
  'PATCH /api/v1/projects/:slug/cases/:number/severity': refused({
    reason: 'Remote code execution.',
    cvssV31: CRITICAL_31,
  }),
  'POST /api/v1/projects/:slug/cases/:number/cwes': refused({ cwe: 'CWE-787' }),
  'DELETE /api/v1/projects/:slug/cases/:number/cwes/:cwe': refused(undefined, () => ({ cwe: '79' })),
  'POST /api/v1/projects/:slug/cases/:number/transitions': refused({ action: 'start_fix' }),
  'GET /api/v1/projects/:slug/cases/:number/collaborators': refused(),
  'POST /api/v1/projects/:slug/cases/:number/collaborators': refused({ email: 'friend-of-contact@example.net' }),
  'DELETE /api/v1/projects/:slug/cases/:number/collaborators/:id': refused(),
  'POST /p/:slug/cases/:number/patches/:id/review': refused({ verdict: 'approve' }, (w) => ({ id: w.patches.a })),
  'POST /api/v1/projects/:slug/cases/:number/patches/:id/reviews': refused({ verdict: 'approve' }, (w) => ({
    id: w.patches.a,
  })),
  'POST /p/:slug/cases/:number/team/lead': refused((w) => ({ userId: w.contact.id })),
  'POST /p/:slug/cases/:number/team/members/add': refused((w) => ({ userId: w.contact.id })),
  'POST /p/:slug/cases/:number/team/members/remove': refused((w) => ({ userId: w.ids.userId })),
  'GET /api/v1/projects/:slug/cases/:number/team': refused(),
  'GET /api/v1/projects/:slug/cases/:number/embargo': refused(),
  'PUT /api/v1/projects/:slug/cases/:number/embargo': refused({}),
  'POST /p/:slug/cases/:number/embargo/propose': refused(),
  'POST /p/:slug/cases/:number/embargo/activate': refused(),
  'POST /p/:slug/cases/:number/embargo/revise': refused({ releaseAt: '2026-03-12T16:00Z', reason: 'Later.' }),
  'POST /p/:slug/cases/:number/embargo/cancel': refused({ reason: 'Not ready.' }),
  'POST /p/:slug/cases/:number/embargo/release-now': refused(),
  'GET /p/:slug/embargoes': refused(),
  'PUT /api/v1/projects/:slug/cases/:number/team/lead': refused((w) => ({ userId: w.contact.id })),
  'POST /api/v1/projects/:slug/cases/:number/team/members': refused((w) => ({ userId: w.contact.id })),
  'DELETE /api/v1/projects/:slug/cases/:number/team/members/:userId': refused(),
  'POST /p/:slug/cases/:number/affected/branches/:branchId': refused({ status: 'affected' }),
  'POST /p/:slug/cases/:number/affected/packages': refused(PACKAGE),
  'POST /p/:slug/cases/:number/affected/packages/:id/remove': refused(),
  'POST /p/:slug/cases/:number/affected/packages/:id/ranges': refused({ introduced: '0' }),
  'POST /p/:slug/cases/:number/affected/ranges/:id/remove': refused(),
  'PUT /api/v1/projects/:slug/cases/:number/affected/branches/:branchId': refused({ status: 'affected' }),
  'POST /api/v1/projects/:slug/cases/:number/affected/packages': refused(PACKAGE),
  'DELETE /api/v1/projects/:slug/cases/:number/affected/packages/:id': refused(),
  'POST /api/v1/projects/:slug/cases/:number/affected/packages/:id/ranges': refused({ introduced: '0' }),
  'DELETE /api/v1/projects/:slug/cases/:number/affected/ranges/:id': refused(),
  // The disclosure of a case as the team sees it: its advisory draft, who was told, the go.
  'GET /p/:slug/cases/:number/advisory': refused(),
  'POST /p/:slug/cases/:number/advisory': refused({ summary: 'Rewritten by a distributor' }),
  'GET /api/v1/projects/:slug/cases/:number/advisory': refused(),
  'PUT /api/v1/projects/:slug/cases/:number/advisory': refused({ summary: 'Rewritten by a distributor' }),
  'POST /p/:slug/cases/:number/distributors/notify': refused(),
  'GET /api/v1/projects/:slug/cases/:number/disclosure': refused(),
  'GET /p/:slug/cases/:number/announcements/preview/:kind': refused(),
  'POST /api/v1/projects/:slug/cases/:number/release': refused({ action: 'cancel', reason: 'Not ready.' }),
  'GET /p/:slug/cases/:number/retrospective': refused(),
  'POST /p/:slug/cases/:number/retrospective': refused({ body: 'Rewritten.' }),
  'GET /api/v1/projects/:slug/cases/:number/retrospective': refused(),
  'PUT /api/v1/projects/:slug/cases/:number/retrospective': refused({ body: 'Rewritten.' }),
  // Reports, mail and the inbox.
  'GET /p/:slug/inbox': refused(),
  'GET /p/:slug/mail': refused(),
  'GET /p/:slug/audit': refused(),
  'GET /p/:slug/reports/:id': refused(),
  'GET /p/:slug/reports/:id/attachments/:attachmentId': refused(),
  ...Object.fromEntries(
    ['acknowledge', 'request-info', 'resume', 'accept', 'close', 'reopen', 'message', 'note'].map((action) => [
      `POST /p/:slug/reports/:id/${action}`,
      refused(triageForm),
    ]),
  ),
  'GET /p/:slug/mail/inbound': refused(),
  'GET /p/:slug/mail/inbound/:id/raw': refused(),
  'POST /p/:slug/mail/inbound/:id/reprocess': refused(),
  // Settings, the distributor programme's included: D1's own page and contacts too.
  'GET /p/:slug/settings': refused(),
  'POST /p/:slug/settings': refused({ name: 'Taken over', ackTargetHours: '48' }),
  'GET /p/:slug/settings/branches': refused(),
  'POST /p/:slug/settings/branches': refused({ name: '9.x', endOfSupport: '' }),
  'POST /p/:slug/settings/branches/:id': refused(undefined, (w) => ({ id: w.ids.branch })),
  'POST /p/:slug/settings/branches/:id/remove': refused(undefined, (w) => ({ id: w.ids.branch })),
  'GET /p/:slug/settings/members': refused(),
  'POST /p/:slug/settings/members': refused((w) => ({ email: w.contact.email, role: 'admin' })),
  'POST /p/:slug/settings/members/:userId/role': refused({ role: 'security' }),
  'POST /p/:slug/settings/members/:userId/remove': refused(),
  'GET /p/:slug/settings/imap': refused(),
  'POST /p/:slug/settings/imap': refused(),
  'POST /p/:slug/settings/imap/:id': refused(),
  'POST /p/:slug/settings/imap/:id/enabled': refused(),
  'POST /p/:slug/settings/imap/:id/remove': refused(),
  'POST /p/:slug/settings/imap/:id/poll': refused(),
  'GET /p/:slug/settings/pgp': refused(),
  'POST /p/:slug/settings/pgp': refused(),
  'POST /p/:slug/settings/pgp/generate': refused(),
  'POST /p/:slug/settings/pgp/remove': refused(),
  'GET /p/:slug/settings/mail': refused(),
  'POST /p/:slug/settings/mail': refused({ address: 'taken@intake.example.org' }),
  'POST /p/:slug/settings/mail/:id/remove': refused(),
  'GET /p/:slug/settings/severity': refused(),
  'POST /p/:slug/settings/severity': refused(),
  'POST /p/:slug/settings/severity/reset': refused(),
  'GET /api/v1/projects/:slug/severity-policy': refused(),
  'PUT /api/v1/projects/:slug/severity-policy': refused({ ...defaultSeverityPolicy }),
  'GET /p/:slug/settings/webhooks': refused(),
  'POST /p/:slug/settings/webhooks': refused({ url: 'https://203.0.113.9/hook' }),
  'POST /p/:slug/settings/webhooks/:id/remove': refused(),
  'POST /p/:slug/settings/webhooks/:id/test': refused(),
  'GET /p/:slug/settings/embargo': refused(),
  'POST /p/:slug/settings/embargo': refused({ maxDays: '30', distributorNoticeDays: '7' }),
  'POST /p/:slug/settings/embargo/reset': refused(),
  'GET /api/v1/projects/:slug/embargo-policy': refused(),
  'PUT /api/v1/projects/:slug/embargo-policy': refused({
    maxDays: 30,
    distributorNoticeDays: 7,
    criticalNoticeDays: 3,
    publicNoticeDays: 3,
    prereleaseNoticeHours: 24,
    retrospectiveDays: 2,
    releaseHourUtc: 16,
    releaseWeekdays: ['mon', 'tue'],
  }),
  'GET /p/:slug/settings/distributors': refused(),
  'POST /p/:slug/settings/distributors/program': refused({ criteria: 'Anyone.', terms: 'No terms.' }),
  'POST /p/:slug/settings/distributors': refused({ name: 'Contact Linux', website: '' }),
  'GET /p/:slug/settings/distributors/:id': refused(undefined, (w) => ({ id: w.d1.id })),
  'POST /p/:slug/settings/distributors/:id/contacts': refused(
    { email: 'colleague-of-contact@example.net', name: 'Colleague', pgpKey: '' },
    (w) => ({ id: w.d1.id }),
  ),
  'POST /p/:slug/settings/distributors/:id/contacts/:contactId/remove': refused(undefined, (w) => ({
    id: w.d2.id,
    contactId: w.ids.d2Contact,
  })),
  'POST /p/:slug/settings/distributors/:id/accept': refused({ note: 'Accepted by ourselves.' }, (w) => ({
    id: w.d1.id,
  })),
  'POST /p/:slug/settings/distributors/:id/remove': refused(undefined, (w) => ({ id: w.d2.id })),
  'GET /p/:slug/settings/lists': refused(),
  'POST /p/:slug/settings/lists': refused({ name: 'contact-list', description: 'Ours.', 'kinds.release': '1' }),
  'GET /p/:slug/settings/lists/:id': refused(undefined, (w) => ({ id: w.ids.list })),
  'POST /p/:slug/settings/lists/:id/remove': refused(undefined, (w) => ({ id: w.ids.list })),
  'POST /p/:slug/settings/lists/:id/subscriptions/:subscriptionId/remove': refused(undefined, (w) => ({
    id: w.ids.list,
  })),
  'GET /p/:slug/settings/announcements': refused(),
  'POST /p/:slug/settings/announcements/:kind': refused({ subject: 'Taken over', body: 'Taken over.' }),
  'POST /p/:slug/settings/announcements/:kind/reset': refused(),
  // Issue 6: what an advisory says besides its text, its CVE id (P is a CNA with a reserved id in
  // its pool), its revisions and withdrawal; imports; the security settings and the CVE pool.
  'POST /p/:slug/cases/:number/advisory/meta': refused({ aliases: 'GHSA-dist-ribu-tor1' }),
  'PUT /api/v1/projects/:slug/cases/:number/advisory/meta': refused({ aliases: ['GHSA-dist-ribu-tor1'] }),
  'POST /p/:slug/cases/:number/advisory/cve': refused((w) => ({ cveId: w.ids.cveIdPool })),
  'POST /api/v1/projects/:slug/cases/:number/advisory/cve': refused((w) => ({ cveId: w.ids.cveIdPool })),
  'POST /p/:slug/cases/:number/advisory/cve/remove': refused(),
  'DELETE /api/v1/projects/:slug/cases/:number/advisory/cve': refused(),
  'POST /p/:slug/cases/:number/advisory/cve-request': refused({ requestedFrom: 'GitHub', cveId: 'CVE-2026-7654331' }),
  'PUT /api/v1/projects/:slug/cases/:number/advisory/cve-request': refused({
    requestedFrom: 'GitHub',
    cveId: 'CVE-2026-7654331',
  }),
  'GET /api/v1/projects/:slug/cases/:number/advisory/revisions': refused(),
  'POST /p/:slug/cases/:number/advisory/revisions': refused({
    revisionSummary: 'Rewritten by a distributor.',
    summary: 'Rewritten by a distributor',
  }),
  'POST /api/v1/projects/:slug/cases/:number/advisory/revisions': refused({
    summary: 'Rewritten by a distributor.',
    text: { summary: 'Rewritten by a distributor' },
  }),
  'POST /p/:slug/cases/:number/advisory/withdraw': refused({ reason: 'Withdrawn.', confirm: '1' }),
  'POST /api/v1/projects/:slug/cases/:number/advisory/withdraw': refused({ reason: 'Withdrawn.' }),
  'GET /p/:slug/cases/import': refused(),
  'POST /p/:slug/cases/import': refused({ format: 'osv', record: JSON.stringify(OSV_RECORD) }),
  'POST /api/v1/projects/:slug/cases/import': refused({ format: 'osv', record: OSV_RECORD }),
  'GET /p/:slug/cases/:number/imported': refused(),
  'GET /p/:slug/settings/security': refused(),
  'POST /p/:slug/settings/security': refused({ cveSource: 'request', securityTxtDays: '30' }),
  'GET /api/v1/projects/:slug/security-settings': refused(),
  'PUT /api/v1/projects/:slug/security-settings': refused({
    publisherName: 'Taken over',
    cveSource: 'request',
    cveRequestFrom: null,
    bountyText: null,
    bountyUrl: null,
    securityTxtDays: 30,
  }),
  'GET /p/:slug/settings/cve-ids': refused(),
  'POST /p/:slug/settings/cve-ids': refused({ cveIds: 'CVE-2026-7654332' }),
  'POST /p/:slug/settings/cve-ids/reserve': refused({ amount: '1' }),
  'POST /p/:slug/settings/cve-ids/:cveId/reject': refused({ reason: 'Not needed.' }, (w) => ({
    cveId: w.ids.cveIdPool,
  })),
  'GET /api/v1/projects/:slug/cve-ids': refused(),
  'GET /p/:slug/settings/dependents': refused(),
  'POST /p/:slug/settings/dependents': refused({ purls: 'pkg:npm/left-pad@1.0.0' }),
  'POST /p/:slug/settings/dependents/:id/remove': refused(),
  'GET /api/v1/projects/:slug/dependents': refused(),
  'POST /api/v1/projects/:slug/dependents': refused({ purls: ['pkg:npm/left-pad@1.0.0'] }),
  'POST /api/v1/projects/:slug/cve-ids': refused({ cveIds: ['CVE-2026-7654332'] }),
  'POST /api/v1/projects/:slug/cve-ids/reserve': refused({ amount: 1 }),
  'POST /api/v1/projects/:slug/cve-ids/:cveId/reject': refused({ reason: 'Not needed.' }, (w) => ({
    cveId: w.ids.cveIdPool,
  })),
  // Issue 7: the dependency monitoring of P's release branches (a branch with a lockfile, and so a
  // finding, triaged with a note): the members'. A refused upload would have fixed the finding.
  'GET /p/:slug/dependencies': refused(),
  'POST /p/:slug/dependencies/branches/:branchId/inventories': refused(
    { name: LOCKFILE, format: LOCKFILE, content: scanLockfile('2.0.0') },
    (w) => ({ branchId: w.ids.scanBranch }),
  ),
  'POST /p/:slug/dependencies/inventories/:id/remove': refused(undefined, (w) => ({ id: w.ids.inventory })),
  'GET /p/:slug/dependencies/findings/:id': refused(undefined, (w) => ({ id: w.ids.finding })),
  'POST /p/:slug/dependencies/findings/:id': refused(
    { state: 'fixed', justification: '', owner: '', note: 'Closed by a distributor.' },
    (w) => ({ id: w.ids.finding }),
  ),
  'PUT /api/v1/projects/:slug/branches/:branch/inventories/:name': refused(
    { format: LOCKFILE, content: scanLockfile('2.0.0') },
    scanInventory,
  ),
  'GET /api/v1/projects/:slug/branches/:branch/inventories': refused(undefined, scanInventory),
  'DELETE /api/v1/projects/:slug/branches/:branch/inventories/:name': refused(undefined, scanInventory),
  'GET /api/v1/projects/:slug/findings': refused(),
  'PATCH /api/v1/projects/:slug/findings/:id': refused({ state: 'fixed', note: 'Closed by a distributor.' }, (w) => ({
    id: w.ids.finding,
  })),
};

/** The notices the contact was not sent: D2's of both cases, Q's to D3, and one that does not exist. */
const noticesNotOfD1 = (w: World) => ({
  "D2's notice of case A": { id: w.notices.d2A },
  "D2's notice of case B (D1 was never told of B)": { id: w.notices.d2B },
  "Q's notice to D3": { id: w.notices.d3Q },
  'no such notice': { id: 'no-such-notice' },
});
const otherDistributors = (w: World) => ({
  'D2, another distributor of P': { distributorId: w.d2.id },
  "D3, Q's distributor": { distributorId: w.d3.id },
  'no such distributor': { distributorId: 'no-such-distributor' },
});
const patchUpload = (w: World) => ({ branchId: w.ids.branchId, filename: 'contact.diff', content: DIFF });

const recipientsOf = (w: World, noticeId: string) =>
  w.db
    .selectFrom('distributor_recipients')
    .innerJoin('distributor_contacts', 'distributor_contacts.id', 'distributor_recipients.contact_id')
    .select(['distributor_recipients.id', 'distributor_recipients.acknowledged_at'])
    .where('distributor_recipients.notice_id', '=', noticeId)
    .where('distributor_contacts.user_id', '=', w.contact.id)
    .execute();
/** Recipients of the notices that are not D1's that acknowledged: none may, the contact cannot reach them. */
const acknowledgedElsewhere = (w: World) =>
  w.db
    .selectFrom('distributor_recipients')
    .select('id')
    .where('notice_id', 'in', [w.notices.d2A, w.notices.d2B, w.notices.d3Q])
    .where('acknowledged_at', 'is not', null)
    .execute();
const acceptancesOf = async (w: World, distributorId: string) =>
  (
    await w.db
      .selectFrom('distributor_acceptances')
      .select('terms_version')
      .where('distributor_id', '=', distributorId)
      .execute()
  ).map((r) => Number(r.terms_version));

/** The prefixes of a project's routes: sent for case A and case B of P and for Q's case. */
const PROJECT_PREFIXES = ['/p/:slug/', '/api/v1/projects/:slug/'];
const isProjectRoute = (route: string) => PROJECT_PREFIXES.some((p) => (route.split(' ')[1] ?? '').startsWith(p));

interface Ids {
  id: string;
  attachmentId: string;
  userId: string;
  cwe: string;
  branch: string;
  branchId: string;
  list: string;
  subscriptionId: string;
  confirmToken: string;
  unsubscribeToken: string;
  /** An outside dependent's confirmation link (pending), and a confirmed one's manage link and lockfile registration. */
  dependentConfirm: string;
  dependentManage: string;
  dependentRegistration: string;
  announcement: string;
  publicId: string;
  kind: string;
  contactId: string;
  d2Contact: string;
  noticeMail: string;
  spareToken: string;
  token: string;
  /** The CVE id of P's published advisory, and a reserved id of P's pool. */
  cveId: string;
  cveIdPool: string;
  /** A release branch of P with a lockfile registered (its id and name), that registration, and its finding. */
  scanBranch: string;
  scanBranchName: string;
  inventory: string;
  finding: string;
  /** Where the CSAF document of P's published advisory is (its record's links.csaf). */
  csafYear: string;
  csafFile: string;
}

interface World {
  db: TestContext['deps']['db'];
  project: Project;
  other: Project;
  caseA: Case;
  caseB: Case;
  caseQ: Case;
  contact: User;
  d1: Distributor;
  d2: Distributor;
  d3: Distributor;
  notices: { d1A: string; d2A: string; d2B: string; d3Q: string };
  patches: { a: string; late: string; b: string; q: string };
  /** The text of patch `a`, as uploaded. */
  patchTextA: string;
  advisoryA: AdvisoryText;
  /** The token of the acknowledgement link in the contact's notice mail. */
  ackToken: string;
  termsP: string;
  termsVersionP: number;
  /** Default values of route parameters: real ids of P (case A's where there is one). */
  ids: Ids;
  /** Text the contact may never see. */
  canaries: string[];
}

describe.each(engines())('a distributor contact, on every route, on %s', (engine) => {
  let ctx: TestContext;
  let smtp: SmtpCapture;
  let world: World;
  const agent = { jar: {} as Record<string, string>, csrf: '', bearer: '' };
  const tx = <T>(fn: (trx: Trx) => Promise<T>): Promise<T> => ctx.deps.db.transaction().execute(fn);

  /** A case of `project` brought to fix_ready on `branches` (as readyCase does), with the given words. */
  async function readyOn(
    project: Project,
    lead: User,
    branches: ReleaseBranch[],
    words: { title: string; advisory: AdvisoryText; marker: string },
  ): Promise<{ theCase: Case; patchIds: string[]; texts: string[] }> {
    const by = { actor: actorOf(lead, project, 'admin'), origin: noOrigin };
    const opened = await makeCase(ctx, project, by.actor, words.title);
    const theCase = { id: opened.id, projectId: project.id, number: opened.number };
    await tx((trx) => setFixLead(trx, ctx.deps, { ...by, theCase, userId: lead.id }));
    const pkg = await tx((trx) =>
      addPackage(trx, ctx.deps, { ...by, theCase, ecosystem: 'npm', name: 'widget-parser' }),
    );
    for (const [i, branch] of branches.entries()) {
      await tx((trx) => setBranchStatus(trx, ctx.deps, { ...by, theCase, branchId: branch.id, status: 'affected' }));
      await tx((trx) =>
        addRange(trx, ctx.deps, {
          ...by,
          theCase,
          packageId: pkg.id,
          branchId: branch.id,
          introduced: `${i + 1}.0.0`,
          fixed: `${i + 1}.4.2`,
        }),
      );
    }
    await tx((trx) => saveAdvisoryDraft(trx, ctx.deps, { ...by, theCase, text: words.advisory }));
    const patchIds: string[] = [];
    const texts: string[] = [];
    for (const branch of branches) {
      const content = PATCH_FOR(`${branch.name} ${words.marker}`);
      const patch = await tx((trx) =>
        uploadPatch(trx, ctx.deps, {
          actor: SYSTEM,
          origin: noOrigin,
          theCase,
          branchId: branch.id,
          filename: `0001-fix-${branch.name}.patch`,
          content,
        }),
      );
      await tx((trx) => reviewPatch(trx, ctx.deps, { ...by, theCase, patchId: patch.id, verdict: 'approve' }));
      patchIds.push(patch.id);
      texts.push(content);
    }
    const ready = await requireCase(ctx.deps.db, project.id, opened.number);
    if (ready.state !== 'fix_ready') throw new Error(`expected fix_ready, the case is ${ready.state}`);
    return { theCase: ready, patchIds, texts };
  }

  /** Plans and activates the case's embargo, distributors to be told at `noticeAt`. */
  async function scheduled(project: Project, lead: User, theCase: Case, noticeAt: Date): Promise<void> {
    const by = { actor: actorOf(lead, project, 'admin'), origin: noOrigin, theCase };
    await tx((trx) => proposeEmbargo(trx, ctx.deps, { ...by, distributorNoticeAt: noticeAt.toISOString() }));
    await tx((trx) => activateEmbargo(trx, ctx.deps, by));
  }

  /** Runs every due job until none is left (the timeline's steps, then the mail they queue). */
  async function drain(): Promise<void> {
    const worker = testWorker(ctx);
    while ((await worker.runDue()) > 0) {
      // a job may enqueue more
    }
  }

  const noticeOf = async (distributorId: string, caseId: string): Promise<string> =>
    (
      await ctx.deps.db
        .selectFrom('distributor_notices')
        .select('id')
        .where('distributor_id', '=', distributorId)
        .where('case_id', '=', caseId)
        .executeTakeFirstOrThrow()
    ).id;

  /** Row counts and the changeable columns of what a refused request could touch: it must stay the same. */
  async function fingerprint(): Promise<string> {
    const { db } = ctx.deps;
    const tables = [
      'users',
      'memberships',
      'projects',
      'reports',
      'report_entries',
      'cases',
      'case_history',
      'case_severity',
      'case_cwes',
      'case_collaborators',
      'case_team',
      'case_branches',
      'case_packages',
      'package_ranges',
      'patches',
      'patch_reviews',
      'release_branches',
      'intake_addresses',
      'imap_accounts',
      'project_pgp_keys',
      'severity_policies',
      'api_tokens',
      'outbound_emails',
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
      'distributor_messages',
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
    const state = {
      users: await db
        .selectFrom('users')
        .select(['id', 'disabled', 'is_instance_admin', 'updated_at'])
        .orderBy('id')
        .execute(),
      projects: await db.selectFrom('projects').select(['id', 'name', 'updated_at']).orderBy('id').execute(),
      cases: await db.selectFrom('cases').select(['id', 'state', 'updated_at']).orderBy('id').execute(),
      reports: await db.selectFrom('reports').select(['id', 'status']).orderBy('id').execute(),
      embargoes: await db
        .selectFrom('embargoes')
        .select(['case_id', 'state', 'release_at'])
        .orderBy('case_id')
        .execute(),
      advisories: await db
        .selectFrom('advisories')
        .select(['case_id', 'updated_at', 'published_at', 'cve_id', 'cve_requested_from', 'revision', 'withdrawn_at'])
        .orderBy('case_id')
        .execute(),
      distributors: await db.selectFrom('distributors').select(['id', 'removed_at']).orderBy('id').execute(),
      contacts: await db.selectFrom('distributor_contacts').select(['id', 'removed_at']).orderBy('id').execute(),
      recipients: await db
        .selectFrom('distributor_recipients')
        .select(['id', 'acknowledged_at'])
        .orderBy('id')
        .execute(),
      programs: await db.selectFrom('distributor_programs').select(['project_id', 'terms_version']).execute(),
      subscriptions: await db.selectFrom('list_subscriptions').select(['id', 'status']).orderBy('id').execute(),
      tokens: await db.selectFrom('api_tokens').select(['id', 'revoked_at']).orderBy('id').execute(),
      cveIds: await db.selectFrom('cve_ids').select(['cve_id', 'state', 'case_id']).orderBy('cve_id').execute(),
      securitySettings: await db
        .selectFrom('project_security_settings')
        .select(['project_id', 'updated_at'])
        .orderBy('project_id')
        .execute(),
      inventories: await db.selectFrom('inventories').select(['id', 'sha256', 'uploaded_at']).orderBy('id').execute(),
      findings: await db
        .selectFrom('findings')
        .select(['id', 'state', 'justification', 'note', 'owner_user_id', 'present', 'updated_at'])
        .orderBy('id')
        .execute(),
    };
    return JSON.stringify({ counts, state });
  }

  beforeAll(async () => {
    // A real mail server: the acknowledgement link is in the contact's mailbox only (the outbox row
    // drops it once the mail is sent).
    smtp = await startSmtpCapture();
    // P speaks for /.well-known/ (the instance has two projects).
    const slugP = `distributor-matrix-${unique()}`;
    ctx = await createTestContext(engine, { env: { EMBARGO_SMTP_URL: smtp.url, EMBARGO_WELL_KNOWN_PROJECT: slugP } });
    const { db } = ctx.deps;
    const system = { actor: SYSTEM, origin: noOrigin };
    const project = await makeProject(db, ctx.clock, { name: 'Distributor Matrix', slug: slugP });
    const other = await makeProject(db, ctx.clock, { name: 'Other Distributor Matrix' });
    const lead = await makeUser(db, ctx.clock, { project, role: 'admin' });
    const otherLead = await makeUser(db, ctx.clock, { project: other, role: 'admin' });
    const contact = await makeUser(db, ctx.clock, { name: 'Distro Contact', email: `contact-${unique()}@d1.example` });
    const s = {
      caseATitle: `SECRET-CASE-A-TITLE-${unique()}`,
      caseB: `SECRET-CASE-B-${unique()}`,
      caseBAdvisory: `SECRET-ADVISORY-B-${unique()}`,
      caseBPatch: `SECRET-PATCH-B-${unique()}`,
      other: `SECRET-OTHER-${unique()}`,
      otherAdvisory: `SECRET-ADVISORY-OTHER-${unique()}`,
      otherPatch: `SECRET-PATCH-OTHER-${unique()}`,
      latePatch: `SECRET-LATE-PATCH-${unique()}`,
      d2: `SECRET-D2-${unique()}`,
      d2Contact: `secret-d2-${unique()}@d2.example`,
      d3: `SECRET-D3-${unique()}`,
      d3Contact: `secret-d3-${unique()}@d3.example`,
      report: `SECRET-REPORT-${unique()}`,
      findingNote: `SECRET-FINDING-NOTE-${unique()}`,
    };
    const advisoryA: AdvisoryText = {
      summary: `Heap overflow in the widget parser ${unique()}`,
      details: 'A crafted document overflows a heap buffer.',
      affected: 'Every server that parses untrusted documents.',
      howToCheck: 'Run `widget --version`.',
      upgrade: 'Install the fixed release of your branch.',
      mitigations: 'Reject large documents.',
      detection: 'Look for crashes.',
      credits: [{ name: 'Ada Reporter', type: 'FINDER' }],
    };
    const secretAdvisory = (word: string): AdvisoryText => ({
      ...advisoryA,
      summary: `${word} summary`,
      details: `${word} details`,
    });

    // D1 accepts the terms only after case B's notice went out: B is told to D2 alone. makeDistributor
    // answers the distributor as added, before its contacts: read it back.
    const readBack = (d: Distributor) => requireDistributor(db, d.projectId, d.id);
    const d1 = await readBack(
      await makeDistributor(ctx, project, { name: 'Own Linux', contacts: [{ email: contact.email }], accepted: false }),
    );
    const d2 = await readBack(await makeDistributor(ctx, project, { name: s.d2, contacts: [{ email: s.d2Contact }] }));
    const d3 = await readBack(await makeDistributor(ctx, other, { name: s.d3, contacts: [{ email: s.d3Contact }] }));

    const branches = await tx(async (trx) => [
      await addBranch(trx, ctx.clock, { by: system, projectId: project.id, name: '1.x', endOfSupport: null }),
      await addBranch(trx, ctx.clock, { by: system, projectId: project.id, name: '2.x', endOfSupport: null }),
    ]);
    const a = await readyOn(project, lead, branches, { title: s.caseATitle, advisory: advisoryA, marker: 'own fix' });
    const b = await readyOn(project, lead, branches, {
      title: s.caseB,
      advisory: secretAdvisory(s.caseBAdvisory),
      marker: s.caseBPatch,
    });
    const q = await readyCase(ctx, other, otherLead, {
      title: s.other,
      advisory: secretAdvisory(s.otherAdvisory),
      patchFor: (branch) => PATCH_FOR(`${branch} ${s.otherPatch}`),
    });

    // The embargo timeline tells the distributors: case B first (D1 has not accepted), then A and Q's.
    const start = ctx.clock.now().getTime();
    await scheduled(project, lead, b.theCase, new Date(start + HOUR_MS));
    await scheduled(project, lead, a.theCase, new Date(start + 2 * HOUR_MS));
    await scheduled(other, otherLead, q.theCase, new Date(start + 2 * HOUR_MS));
    await drain();
    ctx.clock.set(new Date(start + HOUR_MS));
    await drain();
    await tx((trx) => acceptTerms(trx, ctx.deps, { by: system, projectId: project.id, distributorId: d1.id }));
    ctx.clock.set(new Date(start + 2 * HOUR_MS));
    await drain();
    const notices = {
      d1A: await noticeOf(d1.id, a.theCase.id),
      d2A: await noticeOf(d2.id, a.theCase.id),
      d2B: await noticeOf(d2.id, b.theCase.id),
      d3Q: await noticeOf(d3.id, q.theCase.id),
    };
    const d1B = await db
      .selectFrom('distributor_notices')
      .select('id')
      .where('distributor_id', '=', d1.id)
      .where('case_id', '=', b.theCase.id)
      .executeTakeFirst();
    if (d1B) throw new Error('D1 was told of case B: the world is not what the matrix needs');

    // A patch of case A uploaded after the notice, on a branch the case does not need (so the case stays scheduled).
    const lateBranch = await tx((trx) =>
      addBranch(trx, ctx.clock, { by: system, projectId: project.id, name: 'late.x', endOfSupport: null }),
    );
    const late = await tx((trx) =>
      uploadPatch(trx, ctx.deps, {
        ...system,
        theCase: a.theCase,
        branchId: lateBranch.id,
        filename: 'late.patch',
        content: PATCH_FOR(`late ${s.latePatch}`),
      }),
    );
    const caseA = await requireCase(db, project.id, a.theCase.number);
    if (caseA.state !== 'scheduled') throw new Error(`case A is ${caseA.state}, not scheduled`);

    // New terms: D1 has a version to accept in the portal.
    const program = await getProgram(db, project.id);
    const termsP = `Keep it to yourselves until the release (${unique()}).`;
    await tx((trx) =>
      updateProgram(trx, ctx.deps, { by: system, projectId: project.id, criteria: program.criteria, terms: termsP }),
    );
    const termsVersionP = (await getProgram(db, project.id)).termsVersion;

    // The contact's notice mail, and the acknowledgement link in the copy their mailbox received.
    const mail = await db
      .selectFrom('outbound_emails')
      .select(['id', 'subject'])
      .where('to_address', '=', contact.email)
      .where('template', '=', 'distributor-notice')
      .executeTakeFirstOrThrow();
    const received = smtp.messages.find(
      (m, i) => smtp.recipients[i]?.includes(contact.email) && m.subject === mail.subject,
    );
    const ackToken = /\/distributor\/ack\/([A-Za-z0-9_-]+)/.exec(received?.text ?? '')?.[1];
    if (!ackToken) throw new Error('no acknowledgement link in the notice mail the contact received');

    // Public things of P: a published advisory and announcement, a list with a pending and a confirmed subscriber, a key.
    const published = await makeCase(ctx, project, SYSTEM, 'Published long ago');
    const publishedCve = 'CVE-2026-7654330';
    const advisory = await tx(async (trx) => {
      await saveAdvisoryDraft(trx, ctx.deps, {
        ...system,
        theCase: published,
        text: { ...advisoryA, summary: 'An old fixed flaw' },
      });
      await recordRequestedCve(trx, ctx.deps, {
        ...system,
        theCase: published,
        requestedFrom: 'MITRE',
        cveId: publishedCve,
      });
      const p = await publishAdvisory(trx, ctx.deps, { theCase: published, projectSlug: project.slug });
      await setCaseEmbargoed(trx, published.id, false);
      return p;
    });
    const announcement = await tx((trx) =>
      publishAnnouncement(trx, ctx.deps, {
        projectId: project.id,
        caseId: published.id,
        kind: 'release',
        dedupeKey: 'release',
        subject: 'An old fixed flaw: released',
        body: 'Upgrade.',
      }),
    );
    const list = await makeList(ctx, project, { name: 'announce', subscribers: ['confirmed@users.example'] });
    const pendingEmail = 'pending@users.example';
    await tx((trx) =>
      requestSubscription(trx, ctx.deps, { project, listIds: [list.id], email: pendingEmail, ip: null }),
    );
    const confirmMail = await db
      .selectFrom('outbound_emails')
      .select('text_body')
      .where('to_address', '=', pendingEmail)
      .where('template', '=', 'list-confirm')
      .executeTakeFirstOrThrow();
    const confirmToken = /\/lists\/confirm\/([A-Za-z0-9_-]+)/.exec(confirmMail.text_body)?.[1] ?? '';
    const dependentLink = async (email: string) => {
      const inventory = {
        kind: 'file' as const,
        fileName: 'package-lock.json',
        text: JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/left-pad': { version: '1.0.0' } } }),
      };
      await tx((trx) => requestDependentSubscription(trx, ctx.deps, { name: 'Shop', email, inventory, ip: null }));
      const m = await db
        .selectFrom('outbound_emails')
        .select('text_body')
        .where('to_address', '=', email)
        .where('template', '=', 'dependent-confirm')
        .executeTakeFirstOrThrow();
      return /\/dependents\/confirm\/([A-Za-z0-9_-]+)/.exec(m.text_body)?.[1] ?? '';
    };
    const dependentConfirm = await dependentLink('pending-dependent@users.example');
    const toConfirm = await dependentLink('confirmed-dependent@users.example');
    const dependent = await tx((trx) => confirmDependent(trx, ctx.deps, { token: toConfirm, origin: noOrigin }));
    const dependentRegistration = await db
      .selectFrom('inventories')
      .select('id')
      .where('dependent_id', '=', dependent.dependent.id)
      .executeTakeFirstOrThrow();
    const confirmed = await db
      .selectFrom('list_subscriptions')
      .select('id')
      .where('list_id', '=', list.id)
      .where('status', '=', 'confirmed')
      .executeTakeFirstOrThrow();
    await tx((trx) => generateProjectKey(trx, ctx.deps, { by: system, projectId: project.id }));
    const csaf = new URL((await requirePublicRecord(db, project.id, advisory.publicId ?? '')).links.csaf).pathname
      .split('/')
      .slice(-2);
    // P is a CNA with a reserved id in its pool: the CVE routes have a real id to refuse.
    const poolId = 'CVE-2026-7654333';
    await tx(async (trx) => {
      await updateSecuritySettings(trx, ctx.deps, {
        ...system,
        projectId: project.id,
        settings: { ...DEFAULT_SECURITY_SETTINGS, cveSource: 'cna' },
      });
      await addToPool(trx, ctx.deps, { ...system, projectId: project.id, cveIds: [poolId], source: 'manual' });
    });
    // A release branch of P whose lockfile ships a vulnerable version: a registration and a finding,
    // triaged with a note the contact may never read. (The vulndb.changed job the import queues is
    // never run: nothing re-evaluates the branch between a row's before and after.)
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
        note: s.findingNote,
      }),
    );

    // A report of P with an attachment, for the report routes.
    const { report } = await makeReport(ctx, project, {
      title: 'Open report',
      description: s.report,
      attachments: [{ filename: 'poc.txt', contentType: 'text/plain', content: Buffer.from(s.report) }],
    });
    const attachment = await db
      .selectFrom('attachments')
      .select('id')
      .where('report_id', '=', report.id)
      .executeTakeFirstOrThrow();

    // Signed in with a session; an API token for /api/ (which ignores cookies), and one to revoke.
    agent.jar[SESSION_COOKIE] = await tx((trx) =>
      createSession(trx, ctx.clock, { userId: contact.id, days: 1, origin: noOrigin }),
    );
    const page = await ctx.app.inject({
      method: 'GET',
      url: '/projects',
      headers: { cookie: cookieHeader(agent.jar) },
    });
    absorbCookies(agent.jar, page.headers['set-cookie']);
    agent.csrf = csrfFrom(page.body);
    const token = (name: string) =>
      tx((trx) =>
        createApiToken(trx, ctx.deps, { actor: actorOfUser(contact), origin: noOrigin, name, expiresInDays: 30 }),
      );
    agent.bearer = (await token('distributor-matrix')).token;
    const spare = await token('distributor-matrix-spare');

    const [d2Contact] = d2.contacts;
    if (!d2Contact) throw new Error('D2 has no contact');
    const patchA = a.patchIds[0] ?? '';
    world = {
      db,
      project,
      other,
      caseA,
      caseB: b.theCase,
      caseQ: q.theCase,
      contact,
      d1,
      d2,
      d3,
      notices,
      patches: {
        a: patchA,
        late: late.id,
        b: b.patchIds[0] ?? '',
        q: (await db.selectFrom('patches').select('id').where('case_id', '=', q.theCase.id).executeTakeFirstOrThrow())
          .id,
      },
      patchTextA: a.texts[0] ?? '',
      advisoryA,
      ackToken,
      termsP,
      termsVersionP,
      ids: {
        id: report.id,
        attachmentId: attachment.id,
        userId: lead.id,
        cwe: '79',
        branch: branches[0]?.id ?? '',
        branchId: branches[0]?.id ?? '',
        list: list.id,
        subscriptionId: confirmed.id,
        confirmToken,
        unsubscribeToken: unsubscribeToken(ctx.deps.secret, confirmed.id),
        dependentConfirm,
        dependentManage: dependent.manageToken,
        dependentRegistration: dependentRegistration.id,
        announcement: announcement.id,
        publicId: advisory.publicId ?? '',
        kind: 'release',
        contactId: d1.contacts[0]?.id ?? '',
        d2Contact: d2Contact.id,
        noticeMail: mail.id,
        spareToken: spare.id,
        token: 'not-a-token-the-contact-holds',
        cveId: publishedCve,
        cveIdPool: poolId,
        scanBranch: scanBranch.id,
        scanBranchName: scanBranch.name,
        inventory: inventory.id,
        finding: finding.id,
        csafYear: csaf[0] ?? '',
        csafFile: csaf[1] ?? '',
      },
      canaries: Object.values(s),
    };
  });
  afterAll(async () => {
    await ctx.close();
    await smtp.close();
  });

  it('has a row for every route the app registers, and none for a route that does not exist', () => {
    const registered = new Set(ctx.app.routeList.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`));
    expect(
      [...registered].filter((r) => !(r in TABLE)),
      'routes missing from the table',
    ).toEqual([]);
    expect(
      Object.keys(TABLE).filter((r) => !registered.has(r)),
      'rows for no route',
    ).toEqual([]);
  });

  it('is a world where the contact was told of case A only, and by the timeline', async () => {
    const rows = await ctx.deps.db
      .selectFrom('distributor_notices')
      .select(['distributor_id', 'case_id'])
      .orderBy('notified_at')
      .execute();
    const told = rows.map((r) => `${r.distributor_id}:${r.case_id}`).sort();
    const w = world;
    expect(told).toEqual(
      [
        `${w.d2.id}:${w.caseB.id}`,
        `${w.d1.id}:${w.caseA.id}`,
        `${w.d2.id}:${w.caseA.id}`,
        `${w.d3.id}:${w.caseQ.id}`,
      ].sort(),
    );
  });

  /** The route's URL with the given values for its parameters. */
  function urlOf(route: string, values: Record<string, string>, query?: string): { method: string; url: string } {
    const [method = 'GET', pattern = ''] = route.split(' ');
    const url = pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`${route}: no value for :${name}; give one in the table`);
      return encodeURIComponent(value);
    });
    return { method, url: query ? `${url}?${query}` : url };
  }

  const valuesFor = (route: string, project: Project, theCase: Case, extra: Record<string, string> = {}) => ({
    ...world.ids,
    ...TABLE[route]?.params?.(world),
    ...extra,
    slug: project.slug,
    number: String(theCase.number),
  });

  async function send(
    route: string,
    target: { method: string; url: string },
    jar: Record<string, string> = agent.jar,
  ): Promise<LightMyRequestResponse> {
    const given = TABLE[route]?.body ?? {};
    const body = typeof given === 'function' ? given(world) : given;
    const method = target.method as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    if (target.url.startsWith('/api/')) {
      // The session cookie goes too: the API must act on the bearer token alone.
      const headers = {
        cookie: cookieHeader(jar),
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
    const headers = { cookie: cookieHeader(jar), accept: 'text/html' };
    if (method === 'GET') return ctx.app.inject({ method, url: target.url, headers });
    const form = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)]));
    return ctx.app.inject({
      method,
      url: target.url,
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: agent.csrf, ...form }).toString(),
    });
  }

  /** A session of the contact's own for one request, with its CSRF token. */
  async function ownSession(): Promise<{ jar: Record<string, string>; csrf: string }> {
    const jar: Record<string, string> = {
      [SESSION_COOKIE]: await tx((trx) =>
        createSession(trx, ctx.clock, { userId: world.contact.id, days: 1, origin: noOrigin }),
      ),
    };
    const page = await ctx.app.inject({ method: 'GET', url: '/projects', headers: { cookie: cookieHeader(jar) } });
    absorbCookies(jar, page.headers['set-cookie']);
    return { jar, csrf: csrfFrom(page.body) };
  }

  const expectNoCanaries = (res: LightMyRequestResponse, what: string) => {
    for (const canary of world.canaries) expect(res.body, `${what} shows ${canary}`).not.toContain(canary);
  };
  /** Refused by the policy: 404, or 403 FORBIDDEN (never a CSRF refusal, which would prove nothing). */
  const expectRefused = (res: LightMyRequestResponse, what: string) => {
    const code = errorCode(res);
    const ok = res.statusCode === 404 || (res.statusCode === 403 && code === 'FORBIDDEN');
    expect(ok, `${what}: ${res.statusCode} ${code ?? ''} ${redirectedTo(res)}`).toBe(true);
  };
  /** Sends the request and checks it is refused, shows no canary, and changes nothing. */
  async function refusedWithoutChange(route: string, target: { method: string; url: string }): Promise<void> {
    const before = await fingerprint();
    const res = await send(route, target);
    const what = `${target.method} ${target.url}`;
    expectNoCanaries(res, what);
    expectRefused(res, what);
    expect(await fingerprint(), `${what} changed something`).toBe(before);
  }

  for (const [route, entry] of Object.entries(TABLE)) {
    it(`${route} -> ${entry.kind}`, async () => {
      const w = world;
      switch (entry.kind) {
        case 'refused': {
          // Under a project: case A and case B of P, and Q's case; elsewhere the one URL.
          const targets = isProjectRoute(route)
            ? [
                urlOf(route, valuesFor(route, w.project, w.caseA), entry.query),
                urlOf(route, valuesFor(route, w.project, w.caseB), entry.query),
                urlOf(route, valuesFor(route, w.other, w.caseQ), entry.query),
              ]
            : [urlOf(route, valuesFor(route, w.project, w.caseA), entry.query)];
          const seen = new Set<string>();
          for (const target of targets) {
            if (seen.has(target.url)) continue;
            seen.add(target.url);
            await refusedWithoutChange(route, target);
          }
          break;
        }
        case 'allowed': {
          for (const [why, params] of Object.entries(entry.refusedWith?.(w) ?? {})) {
            const target = urlOf(route, valuesFor(route, w.project, w.caseA, params), entry.query);
            await refusedWithoutChange(route, target).catch((err: unknown) => {
              throw new Error(`${why}: ${err instanceof Error ? err.message : String(err)}`);
            });
          }
          const own = urlOf(route, valuesFor(route, w.project, w.caseA), entry.query);
          const res = await send(route, own);
          expectNoCanaries(res, `${own.method} ${own.url}`);
          await entry.check?.(res, w);
          break;
        }
        case 'open': {
          const target = urlOf(route, valuesFor(route, w.project, w.caseA), entry.query);
          let res: LightMyRequestResponse;
          if (entry.ownSession) {
            const session = await ownSession();
            const saved = agent.csrf;
            agent.csrf = session.csrf;
            try {
              res = await send(route, target, session.jar);
            } finally {
              agent.csrf = saved;
            }
          } else {
            res = await send(route, target);
          }
          const what = `${target.method} ${target.url}`;
          expectNoCanaries(res, what);
          expectOk(res, what);
          await entry.check?.(res, w);
          break;
        }
      }
    });
  }

  it('is still signed in after every row (no row ended the session the others use)', async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/distributor',
      headers: { cookie: cookieHeader(agent.jar) },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`data-notice="${world.notices.d1A}"`);
  });
});
