import { DomainError } from '../errors.js';
import { type Actor, roleIn } from './actor.js';

/**
 * Every authorization rule in Embargo. Instance admins manage users and projects but do not read a
 * project's reports unless they are also its members: unfixed vulnerabilities are need-to-know.
 * So they cannot make themselves members either: a project's admins choose its members.
 */
export type Action =
  | 'instance.manage' // list and create projects and users, see outgoing mail headers
  | 'project.view' // see the project's inbox and reports list
  | 'project.manage' // settings, branches, templates; the members list
  | 'project.members.manage' // add members, change their roles, remove them
  | 'project.intake.manage' // add and remove the project's intake (mail) addresses
  | 'project.audit.read'
  | 'report.submit' // the public intake form and API
  | 'report.read' // a report's content and attachments
  | 'report.triage' // state changes: acknowledge, ask for info, accept, close, reopen
  | 'report.message' // a message the reporter sees
  | 'report.note' // a private team note
  | 'report.status.read' // the reporter's own status page
  | 'report.status.reply'
  | 'case.read'
  | 'case.severity.edit' // CVSS, SSVC, exploitation context and CWEs of a case
  | 'case.transition' // move a case through its lifecycle (case-state.ts), break its embargo
  | 'case.team.manage' // the Fix Lead and Fix Team
  | 'case.collaborators.manage' // invite people outside the project to one case, revoke them
  | 'case.affected.edit' // the case on each release branch, affected packages and ranges
  | 'case.patch.upload' // a private patch for a branch
  | 'case.patch.review' // approve or request changes on a patch
  | 'case.embargo.manage' // propose, activate, revise the case's embargo and its timeline
  | 'case.advisory.edit' // the case's advisory draft (published at the go), its CVE id before publication
  | 'case.advisory.revise' // a new revision of a published advisory, or its withdrawal
  | 'case.import' // open a case from an upstream advisory (OSV, CVE JSON 5)
  | 'case.release' // release now (a broken embargo), cancel the go before it starts
  | 'case.distributors.notify' // tell distributors not told yet about a scheduled case
  | 'case.retrospective.edit' // the retrospective drafted after the release
  | 'project.embargo-policy.manage' // the project's embargo policy (notice periods, maximum embargo)
  | 'project.distributors.manage' // the distributor programme, its organisations and their contacts
  | 'project.lists.manage' // mailing lists and their subscribers
  | 'project.announcements.manage' // the wording (templates) of the project's announcements
  | 'project.security-settings.manage' // publisher, CVE source, bounty, security.txt lifetime
  | 'project.cve-pool.manage' // reserve CVE ids (CVE Services), add ids reserved elsewhere, reject unused ones
  | 'project.public.read' // published advisories, announcements and their feed, list subscription
  | 'distributor.portal' // the distributor portal: the notices sent to one's own organisations
  | 'distributor.notice.read' // a notice sent to the actor's organisation: its advisory draft and patches
  | 'distributor.terms.accept' // accept the project's embargo terms for one's organisation
  | 'project.webhooks.manage' // the project's signed webhooks (their secrets, their deliveries)
  | 'account.tokens.manage' // one's own personal API tokens
  | 'account.manage' // one's own account: availability (away/back)
  | 'project.severity-policy.read' // the severity policy: members, and those who may change it
  | 'mail.body.read' // the text of a stored outgoing email
  | 'project.findings.read' // the dependency findings of the project's branches, and their inventories
  | 'project.findings.triage' // a finding's VEX state, justification, owner and note
  | 'project.inventories.manage' // register a branch's lockfiles or SBOM (upload, or CI over the API)
  | 'project.dependents.manage' // the project's own registrations as a dependent of other packages
  | 'instance.vulndb.manage' // import OSV records into the instance's vulnerability database
  | 'dependents.subscribe'; // an outside subscriber registers an SBOM or package URLs for alerts

/** What the action is about. `projectId` is null only for instance-level subjects. */
export interface Subject {
  projectId: string | null;
  reportId?: string;
  /** The case in question, for rules that also admit the case's invited collaborators. */
  caseId?: string;
  /** The distributor in question (a notice was sent to it), for rules about its contacts. */
  distributorId?: string;
  /**
   * Whether the project has at least one admin member (enabled or not), filled by routes that
   * decide 'project.members.manage' or 'project.intake.manage'. Left out, it counts as true: the
   * rule fails closed.
   */
  projectHasAdmin?: boolean;
}

type Rule = (actor: Actor, subject: Subject) => boolean;

const isMember: Rule = (a, s) => s.projectId !== null && roleIn(a, s.projectId) !== undefined;
const isProjectAdmin: Rule = (a, s) => s.projectId !== null && roleIn(a, s.projectId) === 'admin';
const isInstanceAdmin: Rule = (a) => a.kind === 'user' && a.isInstanceAdmin;
// Only while a project has no admin at all (a new project, or its admins were removed) may an
// instance admin choose its members: otherwise they could add themselves and read its reports.
const isInstanceAdminOfOrphan: Rule = (a, s) => isInstanceAdmin(a, s) && s.projectHasAdmin === false;
// Someone outside the project invited to one case: that case only, never the project's other content.
const isCollaboratorOf: Rule = (a, s) =>
  a.kind === 'user' && s.caseId !== undefined && s.projectId !== null && a.caseGrants?.get(s.caseId) === s.projectId;
const isMemberOrCollaborator: Rule = (a, s) => isMember(a, s) || isCollaboratorOf(a, s);
// A contact of the distributor in question, of that project: a notice or the terms of that distributor only.
const isContactOf: Rule = (a, s) =>
  a.kind === 'user' &&
  s.distributorId !== undefined &&
  s.projectId !== null &&
  a.distributorOf?.get(s.distributorId) === s.projectId;
const isReporterOf: Rule = (a, s) => a.kind === 'reporter' && s.reportId !== undefined && a.reportId === s.reportId;

const rules: Record<Action, Rule> = {
  'instance.manage': isInstanceAdmin,
  'project.view': isMember,
  'project.manage': (a, s) => isProjectAdmin(a, s) || isInstanceAdmin(a, s),
  'project.members.manage': (a, s) => isProjectAdmin(a, s) || isInstanceAdminOfOrphan(a, s),
  // An intake address is unique across the instance: adding it to a project moves its mail (new
  // reports, reporters' replies) there. An instance admin who could do it for any project could
  // route another project's reports into a project they control.
  'project.intake.manage': (a, s) => isProjectAdmin(a, s) || isInstanceAdminOfOrphan(a, s),
  'project.audit.read': isProjectAdmin,
  'report.submit': () => true,
  'report.read': isMember,
  'report.triage': isMember,
  'report.message': isMember,
  'report.note': isMember,
  'report.status.read': isReporterOf,
  'report.status.reply': isReporterOf,
  'case.read': isMemberOrCollaborator,
  'case.severity.edit': isMember,
  'case.transition': isMember,
  'case.team.manage': isMember,
  'case.collaborators.manage': isMember,
  'case.affected.edit': isMember,
  'case.patch.upload': isMemberOrCollaborator,
  'case.patch.review': isMember,
  'case.embargo.manage': isMember,
  'case.advisory.edit': isMember,
  'case.advisory.revise': isMember,
  'case.import': isMember,
  'case.release': isMember,
  'case.distributors.notify': isMember,
  'case.retrospective.edit': isMember,
  // Admins only: the notice periods and the maximum embargo bind every case of the project.
  'project.embargo-policy.manage': isProjectAdmin,
  // Admins only, not instance admins: a distributor receives every embargoed case's advisory draft
  // and patches ahead of the release, so adding one is granting it need-to-know.
  'project.distributors.manage': isProjectAdmin,
  // Subscribers' addresses are personal data; the lists reach the public under the project's name.
  'project.lists.manage': isProjectAdmin,
  'project.announcements.manage': isProjectAdmin,
  // Admins only: what the public pages promise reporters, and who publishes, binds the project.
  'project.security-settings.manage': isProjectAdmin,
  // Admins only: CVE ids are spent from the CNA's quota under the instance's CVE Services account.
  'project.cve-pool.manage': isProjectAdmin,
  // Only what is public by nature (published advisories, sent announcements) is served under it.
  'project.public.read': () => true,
  'distributor.portal': (a) => a.kind === 'user',
  'distributor.notice.read': isContactOf,
  'distributor.terms.accept': isContactOf,
  // Admins only: a webhook sends case events out of Embargo, to a URL of the admin's choosing.
  'project.webhooks.manage': isProjectAdmin,
  'account.tokens.manage': (a) => a.kind === 'user',
  'account.manage': (a) => a.kind === 'user',
  // Not embargoed content: those who manage the project (and may change the policy) read it too.
  'project.severity-policy.read': (a, s) => isMember(a, s) || isInstanceAdmin(a, s),
  // Instance-level mail (setup links) is for instance admins; project mail carries report text.
  'mail.body.read': (a, s) => (s.projectId === null ? isInstanceAdmin(a, s) : isMember(a, s)),
  // Which vulnerable packages a project ships, before it has fixed them, is for its team only.
  'project.findings.read': isMember,
  'project.findings.triage': isMember,
  'project.inventories.manage': isMember,
  // Admins only: the project's registrations send its name and dependencies' alerts to its addresses.
  'project.dependents.manage': isProjectAdmin,
  // The database is the instance's, shared by every project: its admins keep it.
  'instance.vulndb.manage': isInstanceAdmin,
  // Anyone may ask to be told; the address must confirm before anything is sent to it.
  'dependents.subscribe': () => true,
};

export function can(actor: Actor, action: Action, subject: Subject): boolean {
  if (actor.kind === 'system') return true;
  return rules[action](actor, subject);
}

/**
 * Throws when `can` says no. Outsiders get NOT_FOUND so that a project's reports are not even
 * confirmed to exist; members lacking a role get FORBIDDEN; the anonymous are asked to sign in.
 */
export function authorize(actor: Actor, action: Action, subject: Subject): void {
  if (can(actor, action, subject)) return;
  if (actor.kind === 'anonymous') throw new DomainError('AUTH_REQUIRED');
  if (subject.projectId !== null && roleIn(actor, subject.projectId) !== undefined) throw new DomainError('FORBIDDEN');
  const settings =
    action === 'project.manage' ||
    action === 'project.members.manage' ||
    action === 'project.intake.manage' ||
    action === 'project.webhooks.manage' ||
    action === 'project.embargo-policy.manage' ||
    action === 'project.distributors.manage' ||
    action === 'project.lists.manage' ||
    action === 'project.announcements.manage' ||
    action === 'project.security-settings.manage' ||
    action === 'project.cve-pool.manage' ||
    action === 'project.dependents.manage';
  if (actor.kind === 'user' && (subject.projectId === null || settings)) {
    throw new DomainError('FORBIDDEN');
  }
  throw new DomainError('NOT_FOUND');
}
