import type { ComponentChildren } from 'preact';
import type { Config } from '../../config.js';
import { formatFingerprint } from '../../domain/pgp/pgp.js';
import type { Project } from '../../domain/projects/projects.js';
import { LIMITS } from '../../domain/reports/intake-input.js';
import type { ErrorCode } from '../../errors.js';
import { CsrfField } from '../views/layout.js';

export const TEXT_FIELDS = [
  'title',
  'description',
  'affectedVersions',
  'reproduction',
  'impact',
  'reporterName',
  'reporterEmail',
  'credit',
] as const;
export type FormValues = Partial<Record<(typeof TEXT_FIELDS)[number], string>>;

export interface FormProps {
  project: Project;
  values: FormValues;
  csrfToken: string;
  config: Config;
  error?: { code: ErrorCode; message: string; field?: string };
  /** The fingerprint of the project's OpenPGP key, when it has one (for mail to its intake address). */
  pgpFingerprint?: string | null;
}

function Field(props: { name: keyof FormValues; label: string; hint?: string; children: ComponentChildren }) {
  return (
    <>
      <label for={props.name}>
        {props.label} {props.hint ? <span class="hint">{props.hint}</span> : null}
      </label>
      {props.children}
    </>
  );
}

export function ReportForm({ project, values, csrfToken, config, error, pgpFingerprint }: FormProps) {
  const invalid = (name: string) => (error?.field === name ? true : undefined);
  const mb = Math.floor(config.intake.maxAttachmentBytes / (1024 * 1024));
  return (
    <section class="report-form">
      <h1>Report a vulnerability in {project.name}</h1>
      <p>
        Only the {project.name} security team can read what you send here. You need no account: after sending you get a
        private link to follow the report and talk with the team.
      </p>
      {pgpFingerprint ? (
        <p class="pgp-key-note">
          Encrypt with our OpenPGP key (optional): <a href={`/p/${project.slug}/pgp-key.asc`}>public key</a>,
          fingerprint <code class="fingerprint">{formatFingerprint(pgpFingerprint)}</code>.
        </p>
      ) : null}
      {error ? (
        <p class="notice error" role="alert">
          {error.message}
          {Object.values(values).some(Boolean) ? ' Your text is kept below; attach your files again.' : null}{' '}
          <span class="muted">
            (error code <code>{error.code}</code>)
          </span>
        </p>
      ) : null}
      <form method="post" action={`/p/${project.slug}/report`} enctype="multipart/form-data">
        <CsrfField token={csrfToken} />
        <Field name="title" label="Title" hint="(a short summary)">
          <input
            type="text"
            id="title"
            name="title"
            required
            maxLength={LIMITS.title}
            value={values.title ?? ''}
            aria-invalid={invalid('title')}
          />
        </Field>
        <Field name="description" label="Description" hint="(Markdown)">
          <textarea
            id="description"
            name="description"
            required
            rows={10}
            maxLength={LIMITS.description}
            aria-invalid={invalid('description')}
          >
            {values.description ?? ''}
          </textarea>
        </Field>
        <Field name="affectedVersions" label="Affected versions" hint="(optional)">
          <input
            type="text"
            id="affectedVersions"
            name="affectedVersions"
            maxLength={LIMITS.affectedVersions}
            value={values.affectedVersions ?? ''}
            aria-invalid={invalid('affectedVersions')}
          />
        </Field>
        <Field name="reproduction" label="Steps to reproduce or proof of concept" hint="(optional, Markdown)">
          <textarea id="reproduction" name="reproduction" rows={8} maxLength={LIMITS.reproduction}>
            {values.reproduction ?? ''}
          </textarea>
        </Field>
        <Field name="impact" label="Impact" hint="(optional: what an attacker gains)">
          <textarea id="impact" name="impact" rows={4} maxLength={LIMITS.impact}>
            {values.impact ?? ''}
          </textarea>
        </Field>
        <h2>About you</h2>
        <p class="muted">All optional. With an email address we tell you when the team answers.</p>
        <Field name="reporterName" label="Your name">
          <input
            type="text"
            id="reporterName"
            name="reporterName"
            maxLength={LIMITS.reporterName}
            value={values.reporterName ?? ''}
            autocomplete="name"
          />
        </Field>
        <Field name="reporterEmail" label="Your email">
          <input
            type="email"
            id="reporterEmail"
            name="reporterEmail"
            maxLength={LIMITS.reporterEmail}
            value={values.reporterEmail ?? ''}
            autocomplete="email"
            aria-invalid={invalid('reporterEmail')}
          />
        </Field>
        <Field name="credit" label="How should we credit you in the advisory?">
          <select id="credit" name="credit">
            {[
              ['name', 'By my name'],
              ['anonymous', 'As an anonymous reporter'],
              ['none', 'No credit'],
            ].map(([value, label]) => (
              <option key={value} value={value} selected={values.credit === value}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <label for="attachments">
          Attachments{' '}
          <span class="hint">
            (optional: up to {config.intake.maxAttachments} files, {mb} MB each)
          </span>
        </label>
        <input type="file" id="attachments" name="attachments" multiple />
        <div class="hp" aria-hidden="true">
          <label for="website">Leave this empty</label>
          <input type="text" id="website" name="website" tabIndex={-1} autocomplete="off" />
        </div>
        <button type="submit">Send the report</button>
      </form>
    </section>
  );
}

export function Confirmation({ project, trackingId, link }: { project: Project; trackingId: string; link: string }) {
  return (
    <section class="report-sent">
      <h1>Report received</h1>
      <p>
        Thank you. The {project.name} security team has your report <strong>{trackingId}</strong>.
      </p>
      <div class="notice secret-link">
        <p>
          <strong>Keep this private link.</strong> It is the only way to follow your report and answer the team, and it
          is shown only once: bookmark it or copy it somewhere safe. Anyone holding it can read the report.
        </p>
        <p>
          <a href={link} class="secret">
            {link}
          </a>
        </p>
      </div>
    </section>
  );
}
