import crypto from 'node:crypto';
import { iso } from '../../src/clock.js';
import type { Trx } from '../../src/db/types.js';
import type { AdvisoryText } from '../../src/domain/advisories/advisories.js';
import { saveAdvisoryDraft } from '../../src/domain/advisories/advisories.service.js';
import type { AnnouncementKind, MailingList } from '../../src/domain/announcements/announcements.js';
import { addMailingList } from '../../src/domain/announcements/lists.service.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { addPackage, addRange, setBranchStatus } from '../../src/domain/cases/affected.service.js';
import { transitionCase } from '../../src/domain/cases/case-transitions.service.js';
import type { Case } from '../../src/domain/cases/cases.js';
import { requireCase } from '../../src/domain/cases/cases.service.js';
import { setFixLead } from '../../src/domain/cases/fix-team.service.js';
import { reviewPatch, uploadPatch } from '../../src/domain/cases/patches.service.js';
import type { Distributor } from '../../src/domain/distributors/distributors.js';
import {
  acceptTerms,
  addContact,
  addDistributor,
  requireDistributor,
} from '../../src/domain/distributors/distributors.service.js';
import { addBranch } from '../../src/domain/projects/branches.service.js';
import type { Project, ReleaseBranch } from '../../src/domain/projects/projects.js';
import type { User } from '../../src/domain/users/users.js';
import type { Actor } from '../../src/policies/actor.js';
import type { TestContext } from './app.js';
import { actorOf, makeCase } from './case-factory.js';

// Factories for the disclosure around an embargo: distributors with contacts, mailing lists with
// confirmed subscribers, and a case brought to "fix ready" the real way (Fix Lead, two affected
// branches each with an approved patch, an advisory draft). Each builds through the services, as a
// team would, except confirmed subscribers, whose confirmation links live only in their mailboxes.

export const SYSTEM: Actor = { kind: 'system', label: 'test' };
const unique = () => crypto.randomBytes(4).toString('hex');
const tx = <T>(ctx: TestContext, fn: (trx: Trx) => Promise<T>): Promise<T> => ctx.deps.db.transaction().execute(fn);

/** A distributor of `project` with contacts; `accepted` records its acceptance of the current terms. */
export async function makeDistributor(
  ctx: TestContext,
  project: Project,
  options: { name?: string; contacts?: { email: string; name?: string; pgpKey?: string }[]; accepted?: boolean } = {},
): Promise<Distributor> {
  const by = { actor: SYSTEM, origin: noOrigin };
  return tx(ctx, async (trx) => {
    const d = await addDistributor(trx, ctx.deps, {
      by,
      projectId: project.id,
      name: options.name ?? `Distro ${unique()}`,
      website: null,
    });
    for (const c of options.contacts ?? [{ email: `security-${unique()}@distro.example` }]) {
      await addContact(trx, ctx.deps, { by, projectId: project.id, distributorId: d.id, ...c });
    }
    if (options.accepted ?? true) {
      await acceptTerms(trx, ctx.deps, { by, projectId: project.id, distributorId: d.id, note: 'Accepted by mail.' });
    }
    // Read again: with its contacts and acceptance.
    return requireDistributor(trx, project.id, d.id);
  });
}

/** A mailing list of `project` with confirmed subscribers (written directly: see the note above). */
export async function makeList(
  ctx: TestContext,
  project: Project,
  options: { name?: string; kinds?: AnnouncementKind[]; subscribers?: string[] } = {},
): Promise<MailingList> {
  return tx(ctx, async (trx) => {
    const list = await addMailingList(trx, ctx.deps, {
      by: { actor: SYSTEM, origin: noOrigin },
      projectId: project.id,
      name: options.name ?? `list-${unique()}`,
      description: 'Security announcements',
      kinds: options.kinds ?? ['fix_forthcoming', 'release', 'update'],
    });
    const at = iso(ctx.clock.now());
    for (const email of options.subscribers ?? []) {
      await trx
        .insertInto('list_subscriptions')
        .values({
          id: crypto.randomUUID(),
          list_id: list.id,
          project_id: project.id,
          email,
          status: 'confirmed',
          confirm_token_hash: null,
          confirm_expires_at: null,
          created_at: at,
          confirmed_at: at,
          unsubscribed_at: null,
        })
        .execute();
    }
    return list;
  });
}

export const PATCH_FOR = (branch: string) =>
  `From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001\nFrom: Fixer <fixer@example.org>\nSubject: [PATCH] Bound the parser on ${branch}\n\n---\n src/parse.c | 1 +\n 1 file changed, 1 insertion(+)\n\ndiff --git a/src/parse.c b/src/parse.c\n--- a/src/parse.c\n+++ b/src/parse.c\n@@ -1 +1,2 @@\n int parse(void);\n+/* bounds checked on ${branch} */\n`;

export const ADVISORY: AdvisoryText = {
  summary: 'Heap overflow in the widget parser',
  details: 'A crafted document overflows a heap buffer in `parse()`, which can lead to code execution.',
  affected: 'Every server that parses untrusted documents.',
  howToCheck: 'Run `widget --version`.',
  upgrade: 'Install the fixed release of your branch.',
  mitigations: 'Reject documents larger than 1 MB at the proxy.',
  detection: 'Look for crashes of the parser in the logs.',
  credits: [{ name: 'Ada Reporter', type: 'FINDER' }],
};

export interface ReadyCase {
  theCase: Case;
  branches: ReleaseBranch[];
  /** The patch text uploaded for each branch, by branch name. */
  patches: Record<string, string>;
}

/**
 * A case of `project` taken from report to fix_ready by `lead` (a member): Fix Lead named, two
 * branches affected with an npm package ranged on each, a patch per branch uploaded by the system and
 * approved by `lead`, and the advisory draft written. `advisory` and `title` override the words.
 */
export async function readyCase(
  ctx: TestContext,
  project: Project,
  lead: User,
  options: {
    title?: string;
    advisory?: AdvisoryText;
    patchFor?: (branch: string) => string;
    packageName?: string;
  } = {},
): Promise<ReadyCase> {
  const actor = actorOf(lead, project);
  const by = { actor, origin: noOrigin };
  const opened = await makeCase(ctx, project, actor, options.title);
  const ref = { id: opened.id, projectId: project.id, number: opened.number };
  const branches = await tx(ctx, async (trx) => [
    await addBranch(trx, ctx.clock, {
      by,
      projectId: project.id,
      name: `1.${unique().slice(0, 2)}`,
      endOfSupport: null,
    }),
    await addBranch(trx, ctx.clock, {
      by,
      projectId: project.id,
      name: `2.${unique().slice(0, 2)}`,
      endOfSupport: null,
    }),
  ]);
  await tx(ctx, (trx) => setFixLead(trx, ctx.deps, { ...by, theCase: ref, userId: lead.id }));
  const pkg = await tx(ctx, (trx) =>
    addPackage(trx, ctx.deps, { ...by, theCase: ref, ecosystem: 'npm', name: options.packageName ?? 'widget-parser' }),
  );
  const patches: Record<string, string> = {};
  for (const [i, branch] of branches.entries()) {
    await tx(ctx, (trx) =>
      setBranchStatus(trx, ctx.deps, { ...by, theCase: ref, branchId: branch.id, status: 'affected' }),
    );
    await tx(ctx, (trx) =>
      addRange(trx, ctx.deps, {
        ...by,
        theCase: ref,
        packageId: pkg.id,
        branchId: branch.id,
        introduced: `${i + 1}.0.0`,
        fixed: `${i + 1}.4.2`,
      }),
    );
  }
  await tx(ctx, (trx) => saveAdvisoryDraft(trx, ctx.deps, { ...by, theCase: ref, text: options.advisory ?? ADVISORY }));
  for (const branch of branches) {
    const content = (options.patchFor ?? PATCH_FOR)(branch.name);
    patches[branch.name] = content;
    const patch = await tx(ctx, (trx) =>
      uploadPatch(trx, ctx.deps, {
        actor: SYSTEM,
        origin: noOrigin,
        theCase: ref,
        branchId: branch.id,
        filename: `0001-fix-${branch.name}.patch`,
        content,
      }),
    );
    await tx(ctx, (trx) => reviewPatch(trx, ctx.deps, { ...by, theCase: ref, patchId: patch.id, verdict: 'approve' }));
  }
  const theCase = await requireCase(ctx.deps.db, project.id, opened.number);
  if (theCase.state !== 'fix_ready') throw new Error(`expected fix_ready, the case is ${theCase.state}`);
  return { theCase, branches, patches };
}

/** Moves a case by a lifecycle action as `actor` (the system by default). */
export function move(
  ctx: TestContext,
  theCase: Pick<Case, 'id' | 'projectId'>,
  action: 'start_fix' | 'fix_ready' | 'break_embargo',
  actor: Actor = SYSTEM,
  reason?: string,
) {
  return tx(ctx, (trx) =>
    transitionCase(trx, ctx.deps, { actor, origin: noOrigin, theCase, action, reason: reason ?? null }),
  );
}
