import { describe, expect, it } from 'vitest';
import { DomainError, type ErrorCode } from '../../src/errors.js';
import type { Actor, ProjectRole } from '../../src/policies/actor.js';
import { type Action, authorize, can, type Subject } from '../../src/policies/policy.js';

// The whole authorization table, written out by hand from what each role is meant to do, and
// checked cell by cell against policy.ts. Changing a rule means changing a line here on purpose.

const P = 'project-own';
const Q = 'project-other';
const R1 = 'report-1-in-P';
const R2 = 'report-2-in-Q';
const R3 = 'report-3-in-P';
const C1 = 'case-1-in-P';
const C2 = 'case-2-in-Q';
const C3 = 'case-3-in-P';
const D1 = 'distributor-1-of-P';
const D2 = 'distributor-2-of-Q';

function user(
  options: {
    admin?: boolean;
    roles?: [string, ProjectRole][];
    caseGrants?: [string, string][];
    distributorOf?: [string, string][];
  } = {},
): Actor {
  return {
    kind: 'user',
    userId: 'u',
    email: 'u@example.org',
    name: 'U',
    isInstanceAdmin: options.admin ?? false,
    roles: new Map(options.roles ?? []),
    ...(options.caseGrants ? { caseGrants: new Map(options.caseGrants) } : {}),
    ...(options.distributorOf ? { distributorOf: new Map(options.distributorOf) } : {}),
  };
}

const actors = {
  anonymous: { kind: 'anonymous' },
  reporterOfThisReport: { kind: 'reporter', reportId: R1, projectId: P },
  reporterOfAnotherReport: { kind: 'reporter', reportId: R3, projectId: P },
  userWithoutMembership: user(),
  instanceAdminNotMember: user({ admin: true }),
  securityMemberHere: user({ roles: [[P, 'security']] }),
  adminHere: user({ roles: [[P, 'admin']] }),
  adminOfAnotherProject: user({ roles: [[Q, 'admin']] }),
  // Invited from outside to the case in question of the own project (caseId -> projectId).
  collaboratorHere: user({ caseGrants: [[C1, P]] }),
  // A contact of the distributor in question of the own project (distributorId -> projectId).
  distributorContactHere: user({ distributorOf: [[D1, P]] }),
  system: { kind: 'system', label: 'scheduler' },
} satisfies Record<string, Actor>;
type ActorName = keyof typeof actors;

/** The columns of each cell string, in order. Both projects have an admin (see 'a project without an admin'). */
const subjects = {
  ownProject: { projectId: P, reportId: R1, caseId: C1, distributorId: D1, projectHasAdmin: true },
  anotherProject: { projectId: Q, reportId: R2, caseId: C2, distributorId: D2, projectHasAdmin: true },
  instance: { projectId: null },
} satisfies Record<string, Subject>;
type SubjectName = keyof typeof subjects;
const subjectOrder: SubjectName[] = ['ownProject', 'anotherProject', 'instance'];

type Cells = `${'Y' | '.'}${'Y' | '.'}${'Y' | '.'}`;
type Row = Record<ActorName, Cells>;

const none: Cells = '...';
const all: Cells = 'YYY';
const membersOnly: Row = {
  anonymous: none,
  reporterOfThisReport: none,
  reporterOfAnotherReport: none,
  userWithoutMembership: none,
  instanceAdminNotMember: none,
  securityMemberHere: 'Y..',
  adminHere: 'Y..',
  adminOfAnotherProject: '.Y.',
  collaboratorHere: none,
  distributorContactHere: none,
  system: all,
};

const caseAndItsCollaborators: Row = { ...membersOnly, collaboratorHere: 'Y..' };
/** Project admins only; never instance admins (need-to-know), never another project's admin. */
const projectAdminsOnly: Row = {
  ...membersOnly,
  securityMemberHere: none,
};
const distributorContactsOnly: Row = {
  ...membersOnly,
  securityMemberHere: none,
  adminHere: none,
  adminOfAnotherProject: none,
  distributorContactHere: 'Y..',
};

// `satisfies Record<Action, Row>`: adding an action to policy.ts fails type-checking until it has a row here.
const expected = {
  'instance.manage': {
    anonymous: none,
    reporterOfThisReport: none,
    reporterOfAnotherReport: none,
    userWithoutMembership: none,
    instanceAdminNotMember: all,
    securityMemberHere: none,
    adminHere: none,
    adminOfAnotherProject: none,
    collaboratorHere: none,
    distributorContactHere: none,
    system: all,
  },
  'project.view': membersOnly,
  'project.manage': {
    anonymous: none,
    reporterOfThisReport: none,
    reporterOfAnotherReport: none,
    userWithoutMembership: none,
    instanceAdminNotMember: all,
    securityMemberHere: none,
    adminHere: 'Y..',
    adminOfAnotherProject: '.Y.',
    collaboratorHere: none,
    distributorContactHere: none,
    system: all,
  },
  'project.members.manage': {
    anonymous: none,
    reporterOfThisReport: none,
    reporterOfAnotherReport: none,
    userWithoutMembership: none,
    // Need-to-know: an instance admin who could add members could add themselves and read reports.
    instanceAdminNotMember: none,
    securityMemberHere: none,
    adminHere: 'Y..',
    adminOfAnotherProject: '.Y.',
    collaboratorHere: none,
    distributorContactHere: none,
    system: all,
  },
  'project.intake.manage': {
    anonymous: none,
    reporterOfThisReport: none,
    reporterOfAnotherReport: none,
    userWithoutMembership: none,
    // An intake address routes mail into a project: an instance admin who could take one from a project
    // could send its reports to a project they read.
    instanceAdminNotMember: none,
    securityMemberHere: none,
    adminHere: 'Y..',
    adminOfAnotherProject: '.Y.',
    collaboratorHere: none,
    distributorContactHere: none,
    system: all,
  },
  'project.audit.read': {
    anonymous: none,
    reporterOfThisReport: none,
    reporterOfAnotherReport: none,
    userWithoutMembership: none,
    // Instance admins configure projects but do not read what their teams did with reports.
    instanceAdminNotMember: none,
    securityMemberHere: none,
    adminHere: 'Y..',
    adminOfAnotherProject: '.Y.',
    collaboratorHere: none,
    distributorContactHere: none,
    system: all,
  },
  'report.submit': {
    anonymous: all,
    reporterOfThisReport: all,
    reporterOfAnotherReport: all,
    userWithoutMembership: all,
    instanceAdminNotMember: all,
    securityMemberHere: all,
    adminHere: all,
    adminOfAnotherProject: all,
    collaboratorHere: all,
    distributorContactHere: all,
    system: all,
  },
  'report.read': membersOnly,
  'report.triage': membersOnly,
  'report.message': membersOnly,
  'report.note': membersOnly,
  'report.status.read': {
    anonymous: none,
    reporterOfThisReport: 'Y..',
    reporterOfAnotherReport: none,
    userWithoutMembership: none,
    instanceAdminNotMember: none,
    securityMemberHere: none,
    adminHere: none,
    adminOfAnotherProject: none,
    collaboratorHere: none,
    distributorContactHere: none,
    system: all,
  },
  'report.status.reply': {
    anonymous: none,
    reporterOfThisReport: 'Y..',
    reporterOfAnotherReport: none,
    userWithoutMembership: none,
    instanceAdminNotMember: none,
    securityMemberHere: none,
    adminHere: none,
    adminOfAnotherProject: none,
    collaboratorHere: none,
    distributorContactHere: none,
    system: all,
  },
  // Members, and collaborators invited to the case in question (never another case, nor the project).
  'case.read': caseAndItsCollaborators,
  'case.severity.edit': membersOnly,
  'case.transition': membersOnly,
  'case.team.manage': membersOnly,
  'case.collaborators.manage': membersOnly,
  'case.affected.edit': membersOnly,
  'case.patch.upload': caseAndItsCollaborators,
  'case.patch.review': membersOnly,
  // Every account manages its own tokens; the subject is the account itself, not a project.
  'account.tokens.manage': {
    anonymous: none,
    reporterOfThisReport: none,
    reporterOfAnotherReport: none,
    userWithoutMembership: all,
    instanceAdminNotMember: all,
    securityMemberHere: all,
    adminHere: all,
    adminOfAnotherProject: all,
    collaboratorHere: all,
    distributorContactHere: all,
    system: all,
  },
  'case.embargo.manage': membersOnly,
  'case.advisory.edit': membersOnly,
  'case.advisory.revise': membersOnly,
  'case.import': membersOnly,
  'case.release': membersOnly,
  'case.distributors.notify': membersOnly,
  'case.retrospective.edit': membersOnly,
  'project.embargo-policy.manage': projectAdminsOnly,
  // Not instance admins: a distributor is sent every embargoed case ahead of the release.
  'project.distributors.manage': projectAdminsOnly,
  'project.lists.manage': projectAdminsOnly,
  'project.announcements.manage': projectAdminsOnly,
  'project.security-settings.manage': projectAdminsOnly,
  'project.cve-pool.manage': projectAdminsOnly,
  'project.public.read': {
    anonymous: all,
    reporterOfThisReport: all,
    reporterOfAnotherReport: all,
    userWithoutMembership: all,
    instanceAdminNotMember: all,
    securityMemberHere: all,
    adminHere: all,
    adminOfAnotherProject: all,
    collaboratorHere: all,
    distributorContactHere: all,
    system: all,
  },
  'distributor.portal': {
    anonymous: none,
    reporterOfThisReport: none,
    reporterOfAnotherReport: none,
    userWithoutMembership: all,
    instanceAdminNotMember: all,
    securityMemberHere: all,
    adminHere: all,
    adminOfAnotherProject: all,
    collaboratorHere: all,
    distributorContactHere: all,
    system: all,
  },
  // Its own organisation's notices and terms only: not the project's members, not another distributor.
  'distributor.notice.read': distributorContactsOnly,
  'distributor.terms.accept': distributorContactsOnly,
  'project.webhooks.manage': {
    anonymous: none,
    reporterOfThisReport: none,
    reporterOfAnotherReport: none,
    userWithoutMembership: none,
    instanceAdminNotMember: none,
    securityMemberHere: none,
    adminHere: 'Y..',
    adminOfAnotherProject: '.Y.',
    collaboratorHere: none,
    distributorContactHere: none,
    system: all,
  },
  'account.manage': {
    anonymous: none,
    reporterOfThisReport: none,
    reporterOfAnotherReport: none,
    userWithoutMembership: all,
    instanceAdminNotMember: all,
    securityMemberHere: all,
    adminHere: all,
    adminOfAnotherProject: all,
    collaboratorHere: all,
    distributorContactHere: all,
    system: all,
  },
  'project.severity-policy.read': {
    anonymous: none,
    reporterOfThisReport: none,
    reporterOfAnotherReport: none,
    userWithoutMembership: none,
    instanceAdminNotMember: all,
    securityMemberHere: 'Y..',
    adminHere: 'Y..',
    adminOfAnotherProject: '.Y.',
    collaboratorHere: none,
    distributorContactHere: none,
    system: all,
  },
  'mail.body.read': {
    anonymous: none,
    reporterOfThisReport: none,
    reporterOfAnotherReport: none,
    userWithoutMembership: none,
    // Instance mail (setup links) is for instance admins; project mail carries report text.
    instanceAdminNotMember: '..Y',
    securityMemberHere: 'Y..',
    adminHere: 'Y..',
    adminOfAnotherProject: '.Y.',
    collaboratorHere: none,
    distributorContactHere: none,
    system: all,
  },
  // Unfixed vulnerable dependencies of the project's branches: its team only, not instance admins.
  'project.findings.read': membersOnly,
  'project.findings.triage': membersOnly,
  'project.inventories.manage': membersOnly,
  'project.dependents.manage': projectAdminsOnly,
  // The shared vulnerability database belongs to the instance.
  'instance.vulndb.manage': {
    anonymous: none,
    reporterOfThisReport: none,
    reporterOfAnotherReport: none,
    userWithoutMembership: none,
    instanceAdminNotMember: all,
    securityMemberHere: none,
    adminHere: none,
    adminOfAnotherProject: none,
    collaboratorHere: none,
    distributorContactHere: none,
    system: all,
  },
  // Anyone may ask to be alerted; the confirmation mail guards the address.
  'dependents.subscribe': {
    anonymous: all,
    reporterOfThisReport: all,
    reporterOfAnotherReport: all,
    userWithoutMembership: all,
    instanceAdminNotMember: all,
    securityMemberHere: all,
    adminHere: all,
    adminOfAnotherProject: all,
    collaboratorHere: all,
    distributorContactHere: all,
    system: all,
  },
} satisfies Record<Action, Row>;

const actions = Object.keys(expected) as Action[];
const actorNames = Object.keys(actors) as ActorName[];

const cells = actions.flatMap((action) =>
  actorNames.flatMap((actor) =>
    subjectOrder.map((subject, i) => ({ action, actor, subject, allowed: expected[action][actor][i] === 'Y' })),
  ),
);

/** Whether the actor belongs to the project of the subject (then a refusal is FORBIDDEN, not NOT_FOUND). */
const memberOf: Partial<Record<ActorName, string>> = {
  securityMemberHere: P,
  adminHere: P,
  adminOfAnotherProject: Q,
};

/**
 * The refusal the requester sees, written as the documented contract: the anonymous are asked to
 * sign in; members and signed-in users asking for instance things or project settings get
 * FORBIDDEN; everyone else gets NOT_FOUND, so a project's reports are not even confirmed to exist.
 */
function expectedRefusal(actor: ActorName, action: Action, subject: SubjectName): ErrorCode {
  if (actor === 'anonymous') return 'AUTH_REQUIRED';
  const projectId = subjects[subject].projectId;
  if (projectId !== null && memberOf[actor] === projectId) return 'FORBIDDEN';
  const isUser = actors[actor].kind === 'user';
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
  if (isUser && (projectId === null || settings)) return 'FORBIDDEN';
  return 'NOT_FOUND';
}

function refusalOf(fn: () => void): ErrorCode | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
}

describe('policy matrix', () => {
  it('covers every action, actor and subject', () => {
    expect(cells).toHaveLength(actions.length * actorNames.length * subjectOrder.length);
    expect(actions).toHaveLength(49);
  });

  it.each(cells)('$actor $action on $subject -> $allowed', ({ action, actor, subject, allowed }) => {
    expect(can(actors[actor], action, subjects[subject])).toBe(allowed);
  });

  it.each(cells)('authorize: $actor $action on $subject', ({ action, actor, subject, allowed }) => {
    const code = refusalOf(() => authorize(actors[actor], action, subjects[subject]));
    expect(code).toBe(allowed ? undefined : expectedRefusal(actor, action, subject));
  });
});

describe('authorize, spelled out', () => {
  const cases: [ActorName, Action, SubjectName, ErrorCode | undefined][] = [
    ['anonymous', 'project.view', 'ownProject', 'AUTH_REQUIRED'],
    ['anonymous', 'instance.manage', 'instance', 'AUTH_REQUIRED'],
    ['anonymous', 'report.submit', 'ownProject', undefined],
    ['reporterOfAnotherReport', 'report.status.read', 'ownProject', 'NOT_FOUND'],
    ['reporterOfThisReport', 'report.read', 'ownProject', 'NOT_FOUND'],
    ['userWithoutMembership', 'report.read', 'ownProject', 'NOT_FOUND'],
    ['userWithoutMembership', 'project.manage', 'ownProject', 'FORBIDDEN'],
    ['userWithoutMembership', 'instance.manage', 'instance', 'FORBIDDEN'],
    ['instanceAdminNotMember', 'report.read', 'ownProject', 'NOT_FOUND'],
    ['instanceAdminNotMember', 'project.audit.read', 'ownProject', 'NOT_FOUND'],
    ['instanceAdminNotMember', 'project.manage', 'ownProject', undefined],
    ['instanceAdminNotMember', 'project.members.manage', 'ownProject', 'FORBIDDEN'],
    ['instanceAdminNotMember', 'project.intake.manage', 'ownProject', 'FORBIDDEN'],
    ['securityMemberHere', 'project.intake.manage', 'ownProject', 'FORBIDDEN'],
    ['adminHere', 'project.intake.manage', 'ownProject', undefined],
    ['adminOfAnotherProject', 'project.intake.manage', 'ownProject', 'FORBIDDEN'],
    ['userWithoutMembership', 'project.members.manage', 'ownProject', 'FORBIDDEN'],
    ['securityMemberHere', 'project.members.manage', 'ownProject', 'FORBIDDEN'],
    ['adminHere', 'project.members.manage', 'ownProject', undefined],
    ['securityMemberHere', 'project.manage', 'ownProject', 'FORBIDDEN'],
    ['securityMemberHere', 'project.audit.read', 'ownProject', 'FORBIDDEN'],
    ['securityMemberHere', 'report.read', 'anotherProject', 'NOT_FOUND'],
    ['adminOfAnotherProject', 'project.manage', 'ownProject', 'FORBIDDEN'],
    ['adminOfAnotherProject', 'report.read', 'ownProject', 'NOT_FOUND'],
    ['adminHere', 'instance.manage', 'instance', 'FORBIDDEN'],
    ['system', 'report.read', 'anotherProject', undefined],
  ];
  it.each(cases)('%s %s on %s -> %s', (actor, action, subject, code) => {
    expect(refusalOf(() => authorize(actors[actor], action, subjects[subject]))).toBe(code);
  });

  it('a collaborator is bound to the case, not to its project', () => {
    const collaborator = actors.collaboratorHere;
    // Another case of the same project, or the project itself (no case named): nothing.
    expect(refusalOf(() => authorize(collaborator, 'case.read', { projectId: P, caseId: C3 }))).toBe('NOT_FOUND');
    expect(refusalOf(() => authorize(collaborator, 'case.read', { projectId: P }))).toBe('NOT_FOUND');
    expect(refusalOf(() => authorize(collaborator, 'project.view', { projectId: P, caseId: C1 }))).toBe('NOT_FOUND');
    expect(refusalOf(() => authorize(collaborator, 'report.read', { projectId: P, caseId: C1 }))).toBe('NOT_FOUND');
    // The case's id under another project (a URL mixing one project's slug with another's case) is not it.
    expect(can(collaborator, 'case.read', { projectId: Q, caseId: C1 })).toBe(false);
    // Changing the case beyond uploading a patch stays with the team.
    for (const action of ['case.severity.edit', 'case.transition', 'case.collaborators.manage'] as const) {
      expect(refusalOf(() => authorize(collaborator, action, { projectId: P, caseId: C1 }))).toBe('NOT_FOUND');
    }
  });

  it('a revoked grant admits nothing: the actor is rebuilt without it', () => {
    const revoked = user({ caseGrants: [] });
    expect(can(revoked, 'case.read', subjects.ownProject)).toBe(false);
    expect(can(user(), 'case.read', subjects.ownProject)).toBe(false);
  });

  it('a reporter is bound to the report, not to its project', () => {
    const reporter: Actor = { kind: 'reporter', reportId: R1, projectId: P };
    expect(can(reporter, 'report.status.read', { projectId: P, reportId: R3 })).toBe(false);
    expect(can(reporter, 'report.status.read', { projectId: P })).toBe(false);
  });
});

describe('a project without an admin', () => {
  // Recovery and bootstrap: while a project has no admin at all, an instance admin may choose its
  // members and its intake addresses (audited like any change); nothing else changes for anyone.
  const orphan: Subject = { projectId: P, reportId: R1, caseId: C1, distributorId: D1, projectHasAdmin: false };
  const mayDecideForOrphan: Record<ActorName, boolean> = {
    anonymous: false,
    reporterOfThisReport: false,
    reporterOfAnotherReport: false,
    userWithoutMembership: false,
    instanceAdminNotMember: true,
    securityMemberHere: false,
    adminHere: true,
    adminOfAnotherProject: false,
    collaboratorHere: false,
    distributorContactHere: false,
    system: true,
  };
  const orphanActions: Action[] = ['project.members.manage', 'project.intake.manage'];
  it.each(orphanActions.flatMap((action) => actorNames.map((actor) => [action, actor] as const)))(
    '%s for %s',
    (action, actor) => {
      expect(can(actors[actor], action, orphan)).toBe(mayDecideForOrphan[actor]);
    },
  );

  it.each(actions.filter((a) => !orphanActions.includes(a)))('%s is as when the project has an admin', (action) => {
    for (const actor of actorNames) {
      expect(can(actors[actor], action, orphan)).toBe(can(actors[actor], action, subjects.ownProject));
    }
  });

  it('fails closed when the route does not say whether the project has an admin', () => {
    const unknown: Subject = { projectId: P };
    expect(can(actors.instanceAdminNotMember, 'project.members.manage', unknown)).toBe(false);
    expect(refusalOf(() => authorize(actors.instanceAdminNotMember, 'project.members.manage', unknown))).toBe(
      'FORBIDDEN',
    );
    expect(can(actors.adminHere, 'project.members.manage', unknown)).toBe(true);
    expect(can(actors.instanceAdminNotMember, 'project.intake.manage', unknown)).toBe(false);
    expect(can(actors.adminHere, 'project.intake.manage', unknown)).toBe(true);
  });
});
