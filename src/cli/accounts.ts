import { noOrigin } from '../domain/audit/audit.js';
import { recordAudit } from '../domain/audit/audit.service.js';
import { setUpProject } from '../domain/projects/projects.service.js';
import { inviteUser } from '../domain/users/user-admin.service.js';
import { createUser } from '../domain/users/users.service.js';
import type { Actor } from '../policies/actor.js';
import { openRuntime, say } from './runtime.js';

// The CLI acts as the operator at the server's terminal; its acts are audited under this actor.
const cliActor: Actor = { kind: 'system', label: 'cli' };
const by = { actor: cliActor, origin: noOrigin };

/**
 * `embargo user create`: with no password it is the admin page's invitation (setup link mailed
 * and printed); with a password read from standard input the account is ready at once.
 */
export async function userCreate(options: {
  email: string;
  name: string;
  admin: boolean;
  password: string | undefined;
}): Promise<void> {
  const runtime = await openRuntime();
  const { deps } = runtime;
  try {
    const { user, link } = await deps.db.transaction().execute(async (trx) => {
      if (options.password === undefined) {
        const invited = await inviteUser(trx, deps, {
          by,
          email: options.email,
          name: options.name,
          isInstanceAdmin: options.admin,
        });
        return { user: invited.user, link: invited.link.url };
      }
      const created = await createUser(trx, deps.clock, {
        email: options.email,
        name: options.name,
        password: options.password,
        isInstanceAdmin: options.admin,
      });
      await recordAudit(trx, deps.clock, {
        ...by,
        projectId: null,
        action: 'user.created',
        subjectType: 'user',
        subjectId: created.id,
        detail: { isInstanceAdmin: created.isInstanceAdmin },
      });
      return { user: created, link: undefined };
    });
    say(`Created ${user.isInstanceAdmin ? 'instance admin' : 'user'} ${user.email} (${user.id})`);
    if (link) say(`One-time link to set the password (valid 7 days; also queued by mail):\n  ${link}`);
  } finally {
    await runtime.close();
  }
}

/** `embargo project create`: the admin page's service, optionally with its first project admin (an existing user). */
export async function projectCreate(options: {
  slug: string;
  name: string;
  repositoryUrl: string | undefined;
  securityContact: string | undefined;
  ackTargetHours: number | undefined;
  adminEmail: string | undefined;
}): Promise<void> {
  const runtime = await openRuntime();
  const { deps } = runtime;
  try {
    const project = await deps.db.transaction().execute((trx) =>
      setUpProject(trx, deps.clock, {
        by,
        input: {
          slug: options.slug,
          name: options.name,
          repositoryUrl: options.repositoryUrl,
          securityContact: options.securityContact,
          ackTargetHours: options.ackTargetHours,
        },
        initialAdminEmail: options.adminEmail,
      }),
    );
    say(
      `Created project ${project.name} (${project.slug}); report form: ${deps.config.publicUrl.origin}/p/${project.slug}/report`,
    );
  } finally {
    await runtime.close();
  }
}
