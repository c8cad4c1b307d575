import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import {
  clockSeverities,
  dayModes,
  fixDueAt,
  nextReminderAt,
  type ReleaseKind,
  type SeverityPolicy,
} from '../../domain/severity/severity-policy.js';
import {
  getSeverityPolicy,
  resetSeverityPolicy,
  type StoredSeverityPolicy,
  updateSeverityPolicy,
} from '../../domain/severity/severity-policy.service.js';
import { DomainError } from '../../errors.js';
import type { Actor } from '../../policies/actor.js';
import { authorize, can } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { when } from '../views/time.js';
import { checkbox, ErrorNotice, field, formFailure, invalidIf, wholeNumber } from './forms.js';
import { SettingsNav, type Values } from './project-settings-views.js';
import { requireSignIn } from './require-user.js';

// A project's severity policy as a form that works without JavaScript. Inputs are named by the
// policy's own field paths (`targets.high.fixDays`), so a refusal's `details.field` names the input.

type Params = { slug: string };

const RELEASES: Record<ReleaseKind, string> = {
  'out-of-band': 'Out of band (a release of its own)',
  'next-patch': 'Next patch release',
};
// Shutdown rows the form reads back; the policy allows 20, and a few empty rows are offered beyond.
const MAX_ROWS = 30;
const EMPTY_ROWS = 3;
const zones = ['UTC', ...Intl.supportedValuesOf('timeZone')];

function policyValues(policy: SeverityPolicy): Values {
  const values: Values = {
    dayMode: policy.dayMode,
    timeZone: policy.timeZone,
    noFridayDeadline: policy.noFridayDeadline ? '1' : '',
    'gates.slowDownBelow': policy.gates.slowDownBelow.toFixed(1),
    'gates.semiPublicBelow': policy.gates.semiPublicBelow.toFixed(1),
    shutdownRows: String(Math.min(20, policy.shutdowns.length + EMPTY_ROWS)),
  };
  policy.shutdowns.forEach((s, i) =>
    Object.assign(values, { [`shutdowns.${i}.from`]: s.from, [`shutdowns.${i}.to`]: s.to }),
  );
  for (const s of clockSeverities) {
    const t = policy.targets[s];
    values[`targets.${s}.fixDays`] = String(t.fixDays);
    values[`targets.${s}.release`] = t.release;
    values[`targets.${s}.remindDays`] = t.remindDays === null ? '' : String(t.remindDays);
  }
  return values;
}

/** The form as typed, to build the policy from and to put back into a re-rendered form. */
function typedValues(body: unknown): Values {
  const names = ['dayMode', 'timeZone', 'gates.slowDownBelow', 'gates.semiPublicBelow'];
  for (const s of clockSeverities)
    names.push(`targets.${s}.fixDays`, `targets.${s}.release`, `targets.${s}.remindDays`);
  const values: Values = Object.fromEntries(names.map((n) => [n, field(body, n).trim()]));
  values.noFridayDeadline = checkbox(body, 'noFridayDeadline') ? '1' : '';
  let rows = 0;
  for (let i = 0; i < MAX_ROWS; i++) {
    for (const end of ['from', 'to']) {
      const name = `shutdowns.${i}.${end}`;
      if (body && typeof body === 'object' && name in body) {
        values[name] = field(body, name).trim();
        rows = i + 1;
      }
    }
  }
  values.shutdownRows = String(rows);
  return values;
}

/** A CVSS gate as typed: '' stays missing and anything but a plain decimal is NaN, both refused by the policy. */
function decimal(text: string): number | undefined {
  if (text === '') return undefined;
  return /^\d{1,2}(\.\d{1,3})?$/.test(text) ? Number(text) : Number.NaN;
}

/**
 * The policy the form describes, for parseSeverityPolicy to judge, and the form row of each
 * shutdown (blank rows are left out, so policy index and form row differ).
 */
function formPolicy(values: Values): { policy: unknown; shutdownRows: number[] } {
  const shutdownRows: number[] = [];
  const shutdowns = [];
  for (let i = 0; i < Number(values.shutdownRows); i++) {
    const from = values[`shutdowns.${i}.from`] ?? '';
    const to = values[`shutdowns.${i}.to`] ?? '';
    if (from === '' && to === '') continue;
    shutdownRows.push(i);
    shutdowns.push({ from, to });
  }
  const targets = Object.fromEntries(
    clockSeverities.map((s) => {
      const remind = values[`targets.${s}.remindDays`] ?? '';
      return [
        s,
        {
          fixDays: wholeNumber(values[`targets.${s}.fixDays`] ?? ''),
          release: values[`targets.${s}.release`],
          remindDays: remind === '' ? null : wholeNumber(remind),
        },
      ];
    }),
  );
  const policy = {
    dayMode: values.dayMode,
    timeZone: values.timeZone,
    noFridayDeadline: values.noFridayDeadline === '1',
    shutdowns,
    targets,
    gates: {
      slowDownBelow: decimal(values['gates.slowDownBelow'] ?? ''),
      semiPublicBelow: decimal(values['gates.semiPublicBelow'] ?? ''),
    },
  };
  return { policy, shutdownRows };
}

/** The refusal with its field named as the form names it (a shutdown by its form row). */
function onForm(error: DomainError, shutdownRows: number[]): DomainError {
  const name = error.details?.field;
  const match = typeof name === 'string' ? /^shutdowns\.(\d+)(.*)$/.exec(name) : null;
  const row = match ? shutdownRows[Number(match[1])] : undefined;
  if (!match || row === undefined) return error;
  return new DomainError(error.code, error.message, { ...error.details, field: `shutdowns.${row}${match[2]}` });
}

/** A date as the project reads it: in its time zone, to the minute. */
function LocalTime({ at, timeZone }: { at: Date; timeZone: string }) {
  const text = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
  return <time datetime={at.toISOString()}>{`${text} (${timeZone})`}</time>;
}

/** What the stored policy means for a case opened now. */
function Example({ policy, now }: { policy: SeverityPolicy; now: Date }) {
  return (
    <section data-example>
      <h2>What this means for a case opened now</h2>
      <p class="muted">
        Opened <LocalTime at={now} timeZone={policy.timeZone} />, with nothing moving on it afterwards:
      </p>
      <table>
        <thead>
          <tr>
            <th>Rated</th>
            <th>Fix due</th>
            <th>Release</th>
            <th>Owner first reminded</th>
          </tr>
        </thead>
        <tbody>
          {clockSeverities.map((s) => {
            const reminder = nextReminderAt(policy, s, now);
            return (
              <tr key={s} data-example-severity={s}>
                <td>{s}</td>
                <td data-due>
                  <LocalTime at={fixDueAt(policy, s, now)} timeZone={policy.timeZone} />
                </td>
                <td>{RELEASES[policy.targets[s].release]}</td>
                <td data-reminder>{reminder ? <LocalTime at={reminder} timeZone={policy.timeZone} /> : 'never'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
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

interface PageProps {
  csrf: string;
  project: Project;
  stored: StoredSeverityPolicy;
  values: Values;
  canManage: boolean;
  now: Date;
  error?: DomainError;
  notice?: string;
}

function SeveritySettingsPage(props: PageProps) {
  const { project, stored, values, error, canManage } = props;
  const action = `/p/${project.slug}/settings/severity`;
  const attrs = (name: string) => ({
    id: name,
    name,
    value: values[name] ?? '',
    'aria-invalid': invalidIf(error, name),
    'aria-describedby': error?.details?.field === name ? `${name}-error` : undefined,
  });
  const zoneList = zones.includes(values.timeZone ?? '') ? zones : [values.timeZone ?? '', ...zones];
  return (
    <section>
      {canManage ? <SettingsNav project={project} /> : <a href={`/p/${project.slug}/inbox`}>Back to the inbox</a>}
      <h1>{project.name}: severity policy</h1>
      <p>
        What a case's effective severity commits the team to: when the fix is due, how it is released, and when the
        case's owner is reminded that nothing moved.
      </p>
      <p class="muted" data-policy-origin>
        {stored.isDefault
          ? 'This project follows the default policy.'
          : `Last changed ${when(stored.updatedAt)}${stored.updatedByName ? ` by ${stored.updatedByName}` : ''}.`}
      </p>
      {props.notice ? <p class="notice">{props.notice}</p> : null}
      {canManage ? null : (
        <p class="muted" data-readonly>
          Only the project's admins change this policy.
        </p>
      )}
      <ErrorNotice error={error} />
      <form method="post" action={action}>
        <CsrfField token={props.csrf} />
        <fieldset disabled={!canManage}>
          <h2>Counting days</h2>
          <label for="dayMode">
            Days count as{' '}
            <span class="hint">Calendar days count every day; business days skip Saturday and Sunday.</span>
          </label>
          <select {...attrs('dayMode')}>
            {dayModes.map((m) => (
              <option key={m} value={m} selected={values.dayMode === m}>
                {m === 'calendar' ? 'calendar days' : 'business days (Monday to Friday)'}
              </option>
            ))}
          </select>
          <FieldError error={error} name="dayMode" />
          <label for="timeZone">
            Time zone{' '}
            <span class="hint">
              Days, weekends and shutdowns are read here: Friday evening in New York is already Saturday in Tokyo.
            </span>
          </label>
          <select {...attrs('timeZone')}>
            {zoneList.map((z) => (
              <option key={z} value={z} selected={values.timeZone === z}>
                {z}
              </option>
            ))}
          </select>
          <FieldError error={error} name="timeZone" />
          <label class="check">
            <input type="checkbox" name="noFridayDeadline" value="1" checked={values.noFridayDeadline === '1'} /> No
            deadline on a Friday{' '}
            <span class="hint">
              A deadline that would fall on a Friday moves to the next working day that is not a Friday (usually the
              Monday). Deadlines only ever move later: moving one earlier would take time the team was promised.
            </span>
          </label>

          <h2>Shutdowns</h2>
          <p class="muted">
            Yearly periods when the team is away, first and last day included, as month-day (MM-DD): 12-24 to 01-02
            spans the new year. Their days never count toward a deadline or a reminder. Empty rows are ignored; save to
            get more.
          </p>
          <table>
            <thead>
              <tr>
                <th>First day</th>
                <th>Last day</th>
              </tr>
            </thead>
            <tbody>
              {Array.from({ length: Number(values.shutdownRows ?? 0) }, (_, i) => (
                <tr key={i} data-shutdown-row={i}>
                  {(['from', 'to'] as const).map((end) => (
                    <td key={end}>
                      <input
                        type="text"
                        inputmode="numeric"
                        pattern="\d{2}-\d{2}"
                        placeholder={end === 'from' ? '12-24' : '01-02'}
                        aria-label={`Shutdown ${i + 1}, ${end === 'from' ? 'first' : 'last'} day (MM-DD)`}
                        {...attrs(`shutdowns.${i}.${end}`)}
                      />
                      <FieldError error={error} name={`shutdowns.${i}.${end}`} />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <FieldError error={error} name="shutdowns" />

          <h2>Targets by severity</h2>
          <dl class="facts">
            <dt>Fix due</dt>
            <dd>
              Days from the case's opening until the fix is due. The clock runs from the opening: raising a case's
              severity later brings its deadline nearer. A more severe case never gets longer than a less severe one.
            </dd>
            <dt>Release</dt>
            <dd>
              Out of band: a release of its own as soon as the fix is ready. Next patch: the fix ships with the next
              scheduled patch release.
            </dd>
            <dt>Remind after</dt>
            <dd>
              When nothing moved on a case for this many days, its owner is reminded, then again after each such period.
              Empty: never.
            </dd>
          </dl>
          <table>
            <thead>
              <tr>
                <th>Severity</th>
                <th>Fix due (days)</th>
                <th>Release</th>
                <th>Remind after (days)</th>
              </tr>
            </thead>
            <tbody>
              {clockSeverities.map((s) => (
                <tr key={s} data-target={s}>
                  <th scope="row">{s}</th>
                  <td>
                    <input
                      type="number"
                      min={1}
                      max={3650}
                      aria-label={`${s}: fix due in days`}
                      {...attrs(`targets.${s}.fixDays`)}
                    />
                    <FieldError error={error} name={`targets.${s}.fixDays`} />
                  </td>
                  <td>
                    <select aria-label={`${s}: release`} {...attrs(`targets.${s}.release`)}>
                      {Object.entries(RELEASES).map(([kind, label]) => (
                        <option key={kind} value={kind} selected={values[`targets.${s}.release`] === kind}>
                          {label}
                        </option>
                      ))}
                    </select>
                    <FieldError error={error} name={`targets.${s}.release`} />
                  </td>
                  <td>
                    <input
                      type="number"
                      min={1}
                      max={3650}
                      placeholder="never"
                      aria-label={`${s}: remind after days`}
                      {...attrs(`targets.${s}.remindDays`)}
                    />
                    <FieldError error={error} name={`targets.${s}.remindDays`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>

          <h2>CVSS gates</h2>
          <p class="muted">
            Read from a case's highest CVSS score, and only while exploitation has not raised its severity above CVSS
            (then the gates are void). Defaults after the Kubernetes security response policy: 4.0 and 7.0.
          </p>
          <label for="gates.slowDownBelow">
            Slow down below{' '}
            <span class="hint">Below this score the team may take its time and fix it in the normal release flow.</span>
          </label>
          <input type="number" min={0} max={10} step={0.1} {...attrs('gates.slowDownBelow')} />
          <FieldError error={error} name="gates.slowDownBelow" />
          <label for="gates.semiPublicBelow">
            Semi-public below{' '}
            <span class="hint">
              Below this score the fix may be developed in public, as a change that does not say it fixes a
              vulnerability. From this score up, the fix stays private until disclosure.
            </span>
          </label>
          <input type="number" min={0} max={10} step={0.1} {...attrs('gates.semiPublicBelow')} />
          <FieldError error={error} name="gates.semiPublicBelow" />
          {canManage ? <button type="submit">Save severity policy</button> : null}
        </fieldset>
      </form>
      {error ? null : <Example policy={stored.policy} now={props.now} />}
      {canManage && !stored.isDefault ? (
        <form method="post" action={`${action}/reset`}>
          <CsrfField token={props.csrf} />
          <h2>Back to the defaults</h2>
          <p class="muted">
            Drops this project's own policy; it then follows the defaults, including later changes to them.
          </p>
          <button type="submit" class="secondary">
            Use the default policy
          </button>
        </form>
      ) : null}
    </section>
  );
}

const NOTICES: Record<string, string> = {
  saved: 'Saved. The example below follows the new policy.',
  unchanged: 'Nothing changed: this policy was already in effect.',
  reset: 'This project follows the default policy again.',
};

/**
 * A project's severity policy: its members see it (read-only), those who manage the project change
 * it. Instance admins who are not members see it too, since they may change it.
 */
export function severitySettingsPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('preHandler', requireSignIn);
    const subject = (project: Project) => ({ projectId: project.id });
    const by = (request: FastifyRequest) => ({ actor: request.actor, origin: request.origin });

    const page = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      extra: { values?: Values; error?: DomainError; notice?: string; status?: number } = {},
    ) => {
      const actor: Actor = request.actor;
      const stored = await getSeverityPolicy(deps.db, project.id);
      return reply.page(
        <SeveritySettingsPage
          csrf={request.csrfToken()}
          project={project}
          stored={stored}
          values={extra.values ?? policyValues(stored.policy)}
          canManage={can(actor, 'project.manage', subject(project))}
          now={deps.clock.now()}
          error={extra.error}
          notice={extra.notice}
        />,
        { title: `${project.name}: severity policy`, ...(extra.status ? { status: extra.status } : {}) },
      );
    };
    const managed = async (request: FastifyRequest<{ Params: Params }>) => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'project.manage', subject(project));
      return project;
    };

    app.get<{ Params: Params }>('/p/:slug/settings/severity', async (request, reply) => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'project.severity-policy.read', subject(project));
      const shown = Object.keys(NOTICES).find((k) => field(request.query, k) === '1');
      return page(request, reply, project, { notice: shown ? NOTICES[shown] : undefined });
    });

    app.post<{ Params: Params }>('/p/:slug/settings/severity', async (request, reply) => {
      const project = await managed(request);
      const values = typedValues(request.body);
      const { policy, shutdownRows } = formPolicy(values);
      try {
        const saved = await deps.db
          .transaction()
          .execute((trx) => updateSeverityPolicy(trx, deps, { ...by(request), projectId: project.id, policy }));
        return reply.redirect(`/p/${project.slug}/settings/severity?${saved.changed ? 'saved' : 'unchanged'}=1`, 303);
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return page(request, reply, project, { values, error: onForm(error, shutdownRows), status });
      }
    });

    app.post<{ Params: Params }>('/p/:slug/settings/severity/reset', async (request, reply) => {
      const project = await managed(request);
      await deps.db
        .transaction()
        .execute((trx) => resetSeverityPolicy(trx, deps, { ...by(request), projectId: project.id }));
      return reply.redirect(`/p/${project.slug}/settings/severity?reset=1`, 303);
    });
  };
}
