import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import {
  addWebhook,
  listWebhooks,
  pingWebhook,
  recentDeliveries,
  removeWebhook,
  type Webhook,
  type WebhookDelivery,
} from '../../domain/webhooks/webhooks.service.js';
import type { DomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { RemoveButton } from '../views/remove-button.js';
import { when } from '../views/time.js';
import { ErrorNotice, field, formFailure, invalidIf } from './forms.js';
import { SettingsNav } from './project-settings-views.js';
import { requireSignIn } from './require-user.js';

// A project's signed webhooks (project.webhooks.manage: its admins). The signing secret is shown
// in the one response that creates it, never again.

interface PageProps {
  csrf: string;
  project: Project;
  webhooks: Webhook[];
  deliveries: WebhookDelivery[];
  created?: { webhook: Webhook; secret: string };
  adding?: { url: string; error: DomainError };
  pinged?: boolean;
}

const STATUS_WORDS: Record<WebhookDelivery['status'], string> = {
  pending: 'pending',
  delivered: 'delivered',
  failed: 'failed',
};

function DeliveryTable({ deliveries, webhooks }: { deliveries: WebhookDelivery[]; webhooks: Webhook[] }) {
  if (deliveries.length === 0) return <p class="muted">No delivery yet.</p>;
  const urlOf = new Map(webhooks.map((w) => [w.id, w.url]));
  return (
    <table>
      <thead>
        <tr>
          <th>Queued</th>
          <th>Event</th>
          <th>Webhook</th>
          <th>Status</th>
          <th>Attempts</th>
          <th>Last answer</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((d) => (
          <tr key={d.id} data-delivery={d.id} data-status={d.status}>
            <td>{when(d.createdAt)}</td>
            <td>
              <code>{d.event}</code>
            </td>
            <td>
              <code>{urlOf.get(d.webhookId) ?? d.webhookId}</code>
            </td>
            <td>
              {d.status === 'delivered' ? STATUS_WORDS[d.status] : <span class="badge">{STATUS_WORDS[d.status]}</span>}
              {d.deliveredAt ? <span class="muted"> {when(d.deliveredAt)}</span> : null}
            </td>
            <td>{d.attempts}</td>
            <td>
              {d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : ''}
              {d.lastError ? <span class="muted"> {d.lastError}</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function WebhookSettingsPage(props: PageProps) {
  const { csrf, project, webhooks, created, adding } = props;
  const base = `/p/${project.slug}/settings/webhooks`;
  return (
    <section>
      <SettingsNav project={project} />
      <h1>{project.name}: webhooks</h1>
      <p class="muted">
        Embargo posts a JSON event to each webhook when a case changes state: the case number, its state and whether its
        embargo was broken, never a title or any other text of the case. Each request carries{' '}
        <code>X-Embargo-Event</code>, <code>X-Embargo-Delivery</code> (the same id on a repeat: delivery is at least
        once), <code>X-Embargo-Timestamp</code> (unix seconds) and <code>X-Embargo-Signature</code>:{' '}
        <code>sha256=</code> and the hex HMAC-SHA256 of <code>timestamp.body</code> keyed with the webhook's secret. Any
        answer but 2xx is retried with growing delays.
      </p>
      {created ? (
        <div class="notice" role="status" data-webhook-created={created.webhook.id}>
          <p>Webhook added. Its signing secret, shown only now (copy it to the receiver; it cannot be shown again):</p>
          <p>
            <code data-webhook-secret>{created.secret}</code>
          </p>
        </div>
      ) : null}
      {props.pinged ? (
        <p class="notice" role="status" data-pinged>
          A ping event is queued; its delivery shows below.
        </p>
      ) : null}
      {webhooks.length === 0 ? (
        <p class="muted">No webhook yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>URL</th>
              <th>Added</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {webhooks.map((w) => (
              <tr key={w.id} data-webhook={w.id}>
                <td>
                  <code>{w.url}</code>
                </td>
                <td>{when(w.createdAt)}</td>
                <td class="actions">
                  <form method="post" action={`${base}/${w.id}/test`} class="inline">
                    <CsrfField token={csrf} />
                    <button type="submit" class="secondary">
                      Send a ping
                    </button>
                  </form>
                  <RemoveButton action={`${base}/${w.id}/remove`} csrf={csrf} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Add a webhook</h2>
      <ErrorNotice error={adding?.error} />
      <form method="post" action={base}>
        <CsrfField token={csrf} />
        <label for="webhook-url">
          URL <span class="hint">(https://, a public address)</span>
        </label>
        <input
          id="webhook-url"
          type="url"
          name="url"
          required
          maxlength={2000}
          value={adding?.url ?? ''}
          placeholder="https://hooks.example.org/embargo"
          aria-invalid={invalidIf(adding?.error, 'url')}
        />
        <button type="submit">Add webhook</button>
      </form>
      <h2>Recent deliveries</h2>
      <DeliveryTable deliveries={props.deliveries} webhooks={webhooks} />
    </section>
  );
}

type Params = { slug: string; id?: string };
type Req = FastifyRequest<{ Params: Params }>;

/** The routes of /p/:slug/settings/webhooks. */
export function webhookSettingsPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('preHandler', requireSignIn);

    const managed = async (request: Req): Promise<Project> => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'project.webhooks.manage', { projectId: project.id });
      return project;
    };
    const by = (request: FastifyRequest) => ({ actor: request.actor, origin: request.origin });
    const base = (project: Project) => `/p/${project.slug}/settings/webhooks`;

    const page = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      extra: Pick<PageProps, 'created' | 'adding' | 'pinged'> = {},
      status?: number,
    ) =>
      reply.page(
        <WebhookSettingsPage
          csrf={request.csrfToken()}
          project={project}
          webhooks={await listWebhooks(deps.db, project.id)}
          deliveries={await recentDeliveries(deps.db, project.id)}
          {...extra}
        />,
        { title: `${project.name}: webhooks`, ...(status ? { status } : {}) },
      );

    app.get<{ Params: Params }>('/p/:slug/settings/webhooks', async (request, reply) =>
      page(request, reply, await managed(request), { pinged: field(request.query, 'pinged') === '1' }),
    );

    app.post<{ Params: Params }>('/p/:slug/settings/webhooks', async (request, reply) => {
      const project = await managed(request);
      const url = field(request.body, 'url');
      try {
        const created = await deps.db
          .transaction()
          .execute((trx) => addWebhook(trx, deps, { by: by(request), projectId: project.id, url }));
        // The one response that carries the secret: no cache, shared or private, may keep it.
        reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        return page(request, reply, project, { created });
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return page(request, reply, project, { adding: { url, error } }, status);
      }
    });

    app.post<{ Params: Params }>('/p/:slug/settings/webhooks/:id/remove', async (request, reply) => {
      const project = await managed(request);
      await deps.db
        .transaction()
        .execute((trx) =>
          removeWebhook(trx, deps, { by: by(request), projectId: project.id, webhookId: request.params.id ?? '' }),
        );
      return reply.redirect(base(project), 303);
    });

    app.post<{ Params: Params }>('/p/:slug/settings/webhooks/:id/test', async (request, reply) => {
      const project = await managed(request);
      await deps.db
        .transaction()
        .execute((trx) =>
          pingWebhook(trx, deps, { by: by(request), projectId: project.id, webhookId: request.params.id ?? '' }),
        );
      deps.wakeWorker();
      return reply.redirect(`${base(project)}?pinged=1`, 303);
    });
  };
}
