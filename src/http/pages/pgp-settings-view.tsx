import { formatFingerprint, type ProjectPgpKey } from '../../domain/pgp/pgp.js';
import type { Project } from '../../domain/projects/projects.js';
import type { DomainError } from '../../errors.js';
import { CsrfField } from '../views/layout.js';
import { when } from '../views/time.js';
import { ErrorNotice, invalidIf } from './forms.js';
import { SettingsNav } from './project-settings-views.js';
import { RemoveButton } from '../views/remove-button.js';

export type PgpNotice = 'uploaded' | 'generated' | 'removed';

const NOTICES: Record<PgpNotice, string> = {
  uploaded: 'The key was uploaded. Its private part is stored sealed and will not be shown again.',
  generated: 'A new key pair was generated. Its private part stays on the server and is never shown.',
  removed: 'The key was removed. Encrypted mail that arrives now waits in quarantine.',
};

/** The public URL of a project's key, the same on every page that points to it. */
export const publicKeyPath = (project: Project) => `/p/${project.slug}/pgp-key.asc`;

function CurrentKey({ project, pgpKey, csrf }: { project: Project; pgpKey: ProjectPgpKey; csrf: string }) {
  return (
    <>
      <dl class="facts">
        <dt>Fingerprint</dt>
        <dd>
          <code class="fingerprint">{formatFingerprint(pgpKey.fingerprint)}</code>
        </dd>
        <dt>Since</dt>
        <dd>{when(pgpKey.createdAt)}</dd>
        <dt>Public URL</dt>
        <dd>
          <a href={publicKeyPath(project)}>{publicKeyPath(project)}</a>
        </dd>
      </dl>
      <pre class="pgp-key">{pgpKey.publicKey}</pre>
      <RemoveButton action={`/p/${project.slug}/settings/pgp/remove`} csrf={csrf} label="Remove the key" />
    </>
  );
}

/**
 * The project's OpenPGP key: its public half, and forms to upload a private key, generate one or
 * remove it. An uploaded key is never put back in the form, not even after a refusal.
 */
export function PgpSettingsPage(props: {
  csrf: string;
  project: Project;
  pgpKey: ProjectPgpKey | null;
  notice?: PgpNotice;
  error?: DomainError;
}) {
  const { csrf, project, pgpKey, error } = props;
  const base = `/p/${project.slug}/settings/pgp`;
  const replace = pgpKey ? ' (replaces the current key)' : '';
  return (
    <section>
      <SettingsNav project={project} />
      <h1>{project.name}: OpenPGP key</h1>
      <p>
        Optional. With a key, reporters can encrypt what they mail to the project's intake addresses: Embargo decrypts
        it with the private key, which it keeps sealed under the server key and never shows. Its public half is shown on
        the report form and published at a stable URL.
      </p>
      {props.notice ? <p class="notice">{NOTICES[props.notice]}</p> : null}
      <ErrorNotice error={error} />
      {pgpKey ? (
        <CurrentKey project={project} pgpKey={pgpKey} csrf={csrf} />
      ) : (
        <p class="muted">No key yet: encrypted mail to the project waits in quarantine.</p>
      )}
      <h2>Upload a private key{replace}</h2>
      <form method="post" action={base}>
        <CsrfField token={csrf} />
        <label for="armoredKey">
          Armored private key <span class="hint">(gpg --armor --export-secret-keys FINGERPRINT)</span>
        </label>
        <textarea
          id="armoredKey"
          name="armoredKey"
          rows={8}
          required
          spellcheck={false}
          autocomplete="off"
          aria-invalid={invalidIf(error, 'armoredKey')}
        />
        <label for="passphrase">
          Passphrase <span class="hint">(if the key has one: it is used once, to unlock the key, and not kept)</span>
        </label>
        <input
          id="passphrase"
          type="password"
          name="passphrase"
          autocomplete="off"
          aria-invalid={invalidIf(error, 'passphrase')}
        />
        <button type="submit">Upload the key</button>
      </form>
      <h2>Or generate a key pair{replace}</h2>
      <form method="post" action={`${base}/generate`}>
        <CsrfField token={csrf} />
        <p class="muted">An Ed25519/Curve25519 key made on the server; its private half never leaves it.</p>
        <button type="submit" class="secondary">
          Generate a key pair
        </button>
      </form>
    </section>
  );
}
