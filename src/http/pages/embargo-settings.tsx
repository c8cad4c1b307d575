import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { type EmbargoPolicy, WEEKDAYS, type Weekday } from '../../domain/cases/embargo-policy.js';
import {
  getStoredEmbargoPolicy,
  resetEmbargoPolicy,
  type StoredEmbargoPolicy,
  updateEmbargoPolicy,
} from '../../domain/cases/embargo-policy.service.js';
import { planTimeline, proposeRelease } from '../../domain/cases/embargo-timeline.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { DomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { when } from '../views/time.js';
import { UtcTime } from './case-embargo.js';
import { checkbox, ErrorNotice, field, formFailure, invalidIf, wholeNumber } from './forms.js';
import { SettingsNav, type Values } from './project-settings-views.js';
import { requireSignIn } from './require-user.js';

// A project's embargo policy as a form that works without JavaScript (project.embargo-policy.manage:
// its admins). Inputs carry the policy's own field names, so a refusal's `details.field` names the
// input; the weekdays are one checkbox each (`releaseWeekdays.mon`).

type Params = { slug: string };
type CountField = Exclude<keyof EmbargoPolicy, 'releaseWeekdays'>;

const COUNTS: { name: CountField; label: string; noun: string; min: number; max: number; hint: string }[] = [
  {
    name: 'maxDays',
    label: 'Longest embargo (days)',
    noun: 'The longest embargo',
    min: 1,
    max: 90,
    hint: 'Counted from the distributor notice to the release. A release planned later than this is refused. The linux-distros list allows 14.',
  },
  {
    name: 'distributorNoticeDays',
    label: 'Distributor notice (days before the release)',
    noun: 'The distributor notice',
    min: 1,
    max: 90,
    hint: 'Distributors that accepted the current terms get the advisory draft and the patches this many days ahead, to prepare their updates. At most the longest embargo.',
  },
  {
    name: 'criticalNoticeDays',
    label: 'Notice for a critical case (days)',
    noun: 'The notice for a critical case',
    min: 1,
    max: 90,
    hint: 'A critical case is proposed the first release slot this many days ahead instead, and the distributors hear at once. At most the distributor notice.',
  },
  {
    name: 'publicNoticeDays',
    label: 'Public notice (days before the release)',
    noun: 'The public notice',
    min: 0,
    max: 90,
    hint: 'The public "fix forthcoming" notice: the date, the severity and the affected components, never any detail. At most the distributor notice, so the public never hears before the distributors; 0 sends it at the release.',
  },
  {
    name: 'prereleaseNoticeHours',
    label: 'Pre-release notice (hours before the release)',
    noun: 'The pre-release notice',
    min: 1,
    max: 2160,
    hint: 'A last word to the distributors that the release is near. At most the distributor notice, counted in hours.',
  },
  {
    name: 'retrospectiveDays',
    label: 'Retrospective (days after the release)',
    noun: 'The retrospective',
    min: 0,
    max: 90,
    hint: 'When the blameless retrospective of the case is drafted; 0: on the day of the release.',
  },
  {
    name: 'releaseHourUtc',
    label: 'Release hour (UTC)',
    noun: 'The release hour',
    min: 0,
    max: 23,
    hint: '0 to 23, the hour of the usual release slot. 16 is when Europe and the Americas are both at work.',
  },
];

const DAY_WORDS: Record<Weekday, string> = {
  sun: 'Sunday',
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
};
// Shown Monday first, as a week is read at work.
const WEEK = [...WEEKDAYS.slice(1), WEEKDAYS[0]] as Weekday[];

function policyValues(policy: EmbargoPolicy): Values {
  const values: Values = Object.fromEntries(COUNTS.map((c) => [c.name, String(policy[c.name])]));
  for (const day of policy.releaseWeekdays) values[`releaseWeekdays.${day}`] = '1';
  return values;
}

/** The form as typed, to build the policy from and to put back into a re-rendered form. */
function typedValues(body: unknown): Values {
  const values: Values = Object.fromEntries(COUNTS.map((c) => [c.name, field(body, c.name).trim()]));
  for (const day of WEEKDAYS) if (checkbox(body, `releaseWeekdays.${day}`)) values[`releaseWeekdays.${day}`] = '1';
  return values;
}

/** The policy the form describes, for parseEmbargoPolicy to judge. An emptied field is refused, not defaulted. */
function formPolicy(values: Values): Record<string, unknown> {
  const policy: Record<string, unknown> = Object.fromEntries(
    COUNTS.map((c) => [c.name, wholeNumber(values[c.name] ?? '') ?? Number.NaN]),
  );
  policy.releaseWeekdays = WEEKDAYS.filter((d) => values[`releaseWeekdays.${d}`] === '1');
  return policy;
}

/** The refusal in the form's words: the policy names its fields as code does. */
function inWords(error: DomainError): DomainError {
  const name = error.details?.field;
  if (name === 'releaseWeekdays') {
    return new DomainError(error.code, 'Choose at least one release weekday.', error.details);
  }
  const count = COUNTS.find((c) => c.name === name);
  if (!count || !error.message.startsWith(count.name)) return error;
  return new DomainError(error.code, `${count.noun}${error.message.slice(count.name.length)}`, error.details);
}

/** The refusal's message beside the input it is about. */
function FieldError({ error, name }: { error: DomainError | undefined; name: string }) {
  if (error?.details?.field !== name) return null;
  return (
    <p class="notice error" id={`${name}-error`} data-field-error={name}>
      {error.message}
    </p>
  );
}

/** What the stored policy proposes for a case whose embargo is planned now. */
function Example({ policy, now }: { policy: EmbargoPolicy; now: Date }) {
  const rows = (['high', 'critical'] as const).map((severity) => {
    const t = planTimeline({ releaseAt: proposeRelease(now, policy, severity), policy, notBefore: now });
    return { severity, t };
  });
  return (
    <section data-example>
      <h2>What this means for an embargo planned now</h2>
      <p class="muted">
        Planned <UtcTime at={now.toISOString()} />, at the first release slot the policy allows:
      </p>
      <table>
        <thead>
          <tr>
            <th>Case</th>
            <th>Distributors told</th>
            <th>Public notice</th>
            <th>Pre-release notice</th>
            <th>Release</th>
            <th>Retrospective</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ severity, t }) => (
            <tr key={severity} data-example-severity={severity}>
              <td>{severity === 'critical' ? 'critical' : 'any other'}</td>
              <td>
                <UtcTime at={t.distributorNoticeAt.toISOString()} />
              </td>
              <td>
                <UtcTime at={t.publicNoticeAt.toISOString()} />
              </td>
              <td>
                <UtcTime at={t.prereleaseNoticeAt.toISOString()} />
              </td>
              <td data-release>
                <UtcTime at={t.releaseAt.toISOString()} />
              </td>
              <td>
                <UtcTime at={t.retrospectiveAt.toISOString()} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface PageProps {
  csrf: string;
  project: Project;
  stored: StoredEmbargoPolicy;
  values: Values;
  now: Date;
  error?: DomainError;
  notice?: string;
}

function EmbargoSettingsPage(props: PageProps) {
  const { project, stored, values, error } = props;
  const action = `/p/${project.slug}/settings/embargo`;
  const attrs = (name: string) => ({
    id: name,
    name,
    value: values[name] ?? '',
    'aria-invalid': invalidIf(error, name),
    'aria-describedby': error?.details?.field === name ? `${name}-error` : `${name}-hint`,
  });
  return (
    <section>
      <SettingsNav project={project} />
      <h1>{project.name}: embargo policy</h1>
      <p>
        How long an embargo may last, and when each notice of its timeline goes out: to the distributors, to the public,
        the last one before the release, and the retrospective after it.
      </p>
      <p class="notice" data-no-replan>
        A change applies to embargoes planned from now on. Embargoes already planned keep their dates: distributors and
        the public may already have been told them. Revise such an embargo on its case to move it.
      </p>
      <p class="muted" data-policy-origin>
        {stored.isDefault
          ? 'This project follows the default policy.'
          : `Last changed ${when(stored.updatedAt)}${stored.updatedByName ? ` by ${stored.updatedByName}` : ''}.`}
      </p>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      <ErrorNotice error={error} />
      <form method="post" action={action}>
        <CsrfField token={props.csrf} />
        {COUNTS.map((c) => (
          <div key={c.name}>
            <label for={c.name}>
              {c.label}{' '}
              <span class="hint" id={`${c.name}-hint`}>
                {c.hint}
              </span>
            </label>
            <input type="number" min={c.min} max={c.max} step={1} required {...attrs(c.name)} />
            <FieldError error={error} name={c.name} />
          </div>
        ))}
        <fieldset aria-invalid={invalidIf(error, 'releaseWeekdays')} aria-describedby="releaseWeekdays-hint">
          <legend>Release weekdays</legend>
          <p class="hint" id="releaseWeekdays-hint">
            The days a release is proposed on. Monday to Thursday by default: a Friday release leaves users a weekend
            with a fresh fix and fewer people at work to install it.
          </p>
          {WEEK.map((day) => (
            <label class="check" key={day}>
              <input
                type="checkbox"
                name={`releaseWeekdays.${day}`}
                value="1"
                checked={values[`releaseWeekdays.${day}`] === '1'}
              />{' '}
              {DAY_WORDS[day]}
            </label>
          ))}
          <FieldError error={error} name="releaseWeekdays" />
        </fieldset>
        <button type="submit">Save embargo policy</button>
      </form>
      {error ? null : <Example policy={stored.policy} now={props.now} />}
      {stored.isDefault ? null : (
        <form method="post" action={`${action}/reset`}>
          <CsrfField token={props.csrf} />
          <h2>Back to the defaults</h2>
          <p class="muted">
            Drops this project's own policy; it then follows the defaults (14 days at most, distributors told 7 days
            ahead, 16:00 UTC Monday to Thursday), including later changes to them.
          </p>
          <button type="submit" class="secondary">
            Use the default policy
          </button>
        </form>
      )}
    </section>
  );
}

const NOTICES: Record<string, string> = {
  saved: 'Saved: this policy is in effect for embargoes planned from now on.',
  reset: 'This project follows the default policy again.',
};

/** The routes of /p/:slug/settings/embargo. */
export function embargoSettingsPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('preHandler', requireSignIn);
    const by = (request: FastifyRequest) => ({ actor: request.actor, origin: request.origin });
    const base = (project: Project) => `/p/${project.slug}/settings/embargo`;

    const managed = async (request: FastifyRequest<{ Params: Params }>): Promise<Project> => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'project.embargo-policy.manage', { projectId: project.id });
      return project;
    };

    const page = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      extra: { values?: Values; error?: DomainError; notice?: string; status?: number } = {},
    ) => {
      const stored = await getStoredEmbargoPolicy(deps.db, project.id);
      return reply.page(
        <EmbargoSettingsPage
          csrf={request.csrfToken()}
          project={project}
          stored={stored}
          values={extra.values ?? policyValues(stored.policy)}
          now={deps.clock.now()}
          error={extra.error}
          notice={extra.notice}
        />,
        { title: `${project.name}: embargo policy`, ...(extra.status ? { status: extra.status } : {}) },
      );
    };

    app.get<{ Params: Params }>('/p/:slug/settings/embargo', async (request, reply) => {
      const project = await managed(request);
      const shown = Object.keys(NOTICES).find((k) => field(request.query, k) === '1');
      return page(request, reply, project, { notice: shown ? NOTICES[shown] : undefined });
    });

    app.post<{ Params: Params }>('/p/:slug/settings/embargo', async (request, reply) => {
      const project = await managed(request);
      const values = typedValues(request.body);
      try {
        await deps.db
          .transaction()
          .execute((trx) =>
            updateEmbargoPolicy(trx, deps, { by: by(request), projectId: project.id, policy: formPolicy(values) }),
          );
        return reply.redirect(`${base(project)}?saved=1`, 303);
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return page(request, reply, project, { values, error: inWords(error), status });
      }
    });

    app.post<{ Params: Params }>('/p/:slug/settings/embargo/reset', async (request, reply) => {
      const project = await managed(request);
      await deps.db
        .transaction()
        .execute((trx) => resetEmbargoPolicy(trx, deps, { by: by(request), projectId: project.id }));
      return reply.redirect(`${base(project)}?reset=1`, 303);
    });
  };
}
