import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import {
  generateProjectKey,
  getProjectKey,
  removeProjectKey,
  uploadProjectKey,
} from '../../domain/pgp/pgp-keys.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { DomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { field, formFailure } from './forms.js';
import { type PgpNotice, PgpSettingsPage } from './pgp-settings-view.js';
import { requireSignIn } from './require-user.js';

const Params = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) });
const NOTICES: readonly PgpNotice[] = ['uploaded', 'generated', 'removed'];

/**
 * The project's OpenPGP key: the settings page for its admins and instance admins ('project.manage'),
 * and the public key at a stable URL for everyone (reporters, and later security.txt).
 */
export function pgpSettingsPages(deps: Deps) {
  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();

    // Public, like the report form it serves: 404 while the project has no key.
    app.get('/p/:slug/pgp-key.asc', { schema: { params: Params } }, async (request, reply) => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'report.submit', { projectId: project.id });
      const key = await getProjectKey(deps.db, project.id);
      if (!key) throw new DomainError('NOT_FOUND', 'The project has no OpenPGP key.');
      return reply
        .header('content-type', 'application/pgp-keys; charset=utf-8')
        .header('content-disposition', `inline; filename="${project.slug}-security.asc"`)
        .header('cache-control', 'public, max-age=300')
        .send(key.publicKey);
    });

    await app.register(async (scoped) => {
      const settings = scoped.withTypeProvider<TypeBoxTypeProvider>();
      settings.addHook('preHandler', requireSignIn);
      const by = (request: FastifyRequest) => ({ actor: request.actor, origin: request.origin });
      const tx = <T,>(fn: (trx: Trx) => Promise<T>): Promise<T> => deps.db.transaction().execute(fn);

      const managed = async (slug: string, request: FastifyRequest): Promise<Project> => {
        const project = await requireProject(deps.db, slug);
        authorize(request.actor, 'project.manage', { projectId: project.id });
        return project;
      };
      const page = async (
        request: FastifyRequest,
        reply: FastifyReply,
        project: Project,
        extra: { notice?: PgpNotice; error?: DomainError; status?: number } = {},
      ) =>
        reply.page(
          <PgpSettingsPage
            csrf={request.csrfToken()}
            project={project}
            pgpKey={await getProjectKey(deps.db, project.id)}
            notice={extra.notice}
            error={extra.error}
          />,
          { title: `${project.name}: OpenPGP key`, ...(extra.status ? { status: extra.status } : {}) },
        );
      /** Runs a key change, then back to the page with a notice; a refusal shows the page with the message. */
      const change = async (
        request: FastifyRequest,
        reply: FastifyReply,
        project: Project,
        notice: PgpNotice,
        run: (trx: Trx) => Promise<unknown>,
      ) => {
        try {
          await tx(run);
        } catch (err) {
          const { error, status } = formFailure(request, err);
          return page(request, reply, project, { error, status });
        }
        return reply.redirect(`/p/${project.slug}/settings/pgp?done=${notice}`, 303);
      };

      settings.get('/p/:slug/settings/pgp', { schema: { params: Params } }, async (request, reply) => {
        const project = await managed(request.params.slug, request);
        const done = field(request.query, 'done');
        const notice = NOTICES.find((n) => n === done);
        return page(request, reply, project, notice ? { notice } : {});
      });

      settings.post('/p/:slug/settings/pgp', { schema: { params: Params } }, async (request, reply) => {
        const project = await managed(request.params.slug, request);
        // Read here and handed to the service only: never logged, never put back in the page.
        const armoredKey = field(request.body, 'armoredKey');
        const passphrase = field(request.body, 'passphrase');
        return change(request, reply, project, 'uploaded', (trx) =>
          uploadProjectKey(trx, deps, { by: by(request), projectId: project.id, armoredKey, passphrase }),
        );
      });

      settings.post('/p/:slug/settings/pgp/generate', { schema: { params: Params } }, async (request, reply) => {
        const project = await managed(request.params.slug, request);
        return change(request, reply, project, 'generated', (trx) =>
          generateProjectKey(trx, deps, { by: by(request), projectId: project.id }),
        );
      });

      settings.post('/p/:slug/settings/pgp/remove', { schema: { params: Params } }, async (request, reply) => {
        const project = await managed(request.params.slug, request);
        return change(request, reply, project, 'removed', (trx) =>
          removeProjectKey(trx, deps, { by: by(request), projectId: project.id }),
        );
      });
    });
  };
}
