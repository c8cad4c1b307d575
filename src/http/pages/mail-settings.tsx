import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import {
  addIntakeAddress,
  type IntakeAddress,
  listIntakeAddresses,
  removeIntakeAddress,
} from '../../domain/mail-intake/intake-addresses.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { listMembers, requireProject } from '../../domain/projects/projects.service.js';
import type { DomainError } from '../../errors.js';
import { authorize, can, type Subject } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { ErrorNotice, field, formFailure, invalidIf } from './forms.js';
import { SettingsNav } from './project-settings-views.js';
import { requireSignIn } from './require-user.js';
import { RemoveButton } from '../views/remove-button.js';

const Slug = Type.String({ minLength: 1, maxLength: 64 });
const Params = Type.Object({ slug: Slug });
const AddressParams = Type.Object({ slug: Slug, id: Type.String({ minLength: 1, maxLength: 64 }) });

function MailSettingsPage(props: {
  csrf: string;
  project: Project;
  addresses: IntakeAddress[];
  replyDomain: string;
  /** Whether the viewer may add and remove addresses ('project.intake.manage'). */
  mayChange: boolean;
  value?: string;
  error?: DomainError;
}) {
  const { csrf, project, addresses, error, mayChange } = props;
  const base = `/p/${project.slug}/settings/mail`;
  const example = addresses[0]?.address.split('@')[0] ?? 'security';
  return (
    <section>
      <SettingsNav project={project} />
      <h1>{project.name}: mail intake</h1>
      <p>
        Mail to these addresses becomes reports of {project.name}, beside the ones sent with the form. Point the
        address's MX record (or your mail server's forwarding) at Embargo's SMTP listener.
      </p>
      <ErrorNotice error={error} />
      {addresses.length === 0 ? (
        <p class="muted">No intake address yet: mail is refused until one is added.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Address</th>
              {mayChange && <th />}
            </tr>
          </thead>
          <tbody>
            {addresses.map((a) => (
              <tr key={a.id}>
                <td>
                  <code>{a.address}</code>
                </td>
                {mayChange && (
                  <td>
                    <RemoveButton action={`${base}/${a.id}/remove`} csrf={csrf} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {mayChange ? (
        <form method="post" action={base}>
          <CsrfField token={csrf} />
          <label for="address">Add an intake address</label>
          <input
            id="address"
            type="email"
            name="address"
            value={props.value ?? ''}
            placeholder="security@example.org"
            aria-invalid={invalidIf(error, 'address')}
            required
          />
          <button type="submit">Add address</button>
        </form>
      ) : (
        <p class="muted">Only the project's admins add and remove its intake addresses.</p>
      )}
      <h2>Replies</h2>
      <p>
        Each report has a reply address of its own, such as{' '}
        <code>
          {example}+r-r-7kq2-9xhd-…@{props.replyDomain}
        </code>
        : mail to it lands on that report's conversation. From a member's account address it is posted as the team's
        message to the reporter. Reply addresses use the domain <code>{props.replyDomain}</code> (EMBARGO_MAIL_DOMAIN)
        or the domain of an intake address.
      </p>
    </section>
  );
}

/**
 * The intake addresses of a project: shown to its admins and instance admins ('project.manage'),
 * changed only by its admins ('project.intake.manage'; instance admins only while it has no admin).
 */
export function mailSettingsPages(deps: Deps) {
  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('preHandler', requireSignIn);
    const by = (request: FastifyRequest) => ({ actor: request.actor, origin: request.origin });

    const managed = async (slug: string, request: FastifyRequest): Promise<Project> => {
      const project = await requireProject(deps.db, slug);
      authorize(request.actor, 'project.manage', { projectId: project.id });
      return project;
    };
    /** What the intake policy needs to know: whether the project has an admin (enabled or not). */
    const intakeSubject = async (project: Project): Promise<Subject> => ({
      projectId: project.id,
      projectHasAdmin: (await listMembers(deps.db, project.id)).some((m) => m.role === 'admin'),
    });
    /** The project of the URL, once the actor may change its intake addresses. */
    const intakeManaged = async (slug: string, request: FastifyRequest): Promise<Project> => {
      const project = await managed(slug, request);
      authorize(request.actor, 'project.intake.manage', await intakeSubject(project));
      return project;
    };
    const page = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      extra: { value?: string; error?: DomainError; status?: number } = {},
    ) =>
      reply.page(
        <MailSettingsPage
          csrf={request.csrfToken()}
          project={project}
          addresses={await listIntakeAddresses(deps.db, project.id)}
          replyDomain={deps.config.mailIn.domain}
          mayChange={can(request.actor, 'project.intake.manage', await intakeSubject(project))}
          value={extra.value}
          error={extra.error}
        />,
        { title: `${project.name}: mail intake`, ...(extra.status ? { status: extra.status } : {}) },
      );

    app.get('/p/:slug/settings/mail', { schema: { params: Params } }, async (request, reply) =>
      page(request, reply, await managed(request.params.slug, request)),
    );

    app.post('/p/:slug/settings/mail', { schema: { params: Params } }, async (request, reply) => {
      const project = await intakeManaged(request.params.slug, request);
      const address = field(request.body, 'address');
      try {
        await deps.db
          .transaction()
          .execute((trx) => addIntakeAddress(trx, deps.clock, { by: by(request), projectId: project.id, address }));
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return page(request, reply, project, { value: address, error, status });
      }
      return reply.redirect(`/p/${project.slug}/settings/mail`, 303);
    });

    app.post('/p/:slug/settings/mail/:id/remove', { schema: { params: AddressParams } }, async (request, reply) => {
      const project = await intakeManaged(request.params.slug, request);
      await deps.db.transaction().execute((trx) =>
        removeIntakeAddress(trx, deps.clock, {
          by: by(request),
          projectId: project.id,
          addressId: request.params.id,
        }),
      );
      return reply.redirect(`/p/${project.slug}/settings/mail`, 303);
    });
  };
}
