import type { ImapAccount } from '../../domain/mail-intake/imap-accounts.js';
import type { Project } from '../../domain/projects/projects.js';
import type { DomainError } from '../../errors.js';
import type { PollOutcome } from '../../mail/inbound/imap-poller.js';
import { CsrfField } from '../views/layout.js';
import { when } from '../views/time.js';
import { ErrorNotice, invalidIf } from './forms.js';
import { SettingsNav, type Values } from './project-settings-views.js';
import { RemoveButton } from '../views/remove-button.js';

// The page of imap-settings.tsx: a project's mailboxes at mail providers. A password is typed once
// and never put back into a page, not even into a re-rendered form.

export function accountValues(account: ImapAccount): Values {
  return {
    host: account.host,
    port: String(account.port),
    secure: account.secure ? '1' : '',
    username: account.username,
    mailbox: account.mailbox,
  };
}

/** What a "poll now" did, in words. */
function pollMessage(outcome: PollOutcome): { text: string; error: boolean } {
  switch (outcome.status) {
    case 'polled': {
      const parts = [`${outcome.stored} new message${outcome.stored === 1 ? '' : 's'} taken`];
      if (outcome.quarantined > 0) parts.push(`${outcome.quarantined} too large, quarantined`);
      if (outcome.skipped > 0) parts.push(`${outcome.skipped} already taken or gone`);
      const more = outcome.more ? ' More are waiting: the next polls take them.' : '';
      return { text: `Polled: ${parts.join(', ')}.${more}`, error: false };
    }
    case 'busy':
      return { text: 'This mailbox is being polled right now; look again in a moment.', error: false };
    case 'disabled':
      return { text: 'This mailbox is disabled: enable it first.', error: true };
    case 'missing':
      return { text: 'This mailbox was just removed.', error: true };
    case 'failed':
      return { text: `The poll failed: ${outcome.error}`, error: true };
  }
}

function AccountFields(props: { idPrefix: string; values: Values; error?: DomainError; editing: boolean }) {
  const { idPrefix, values, error, editing } = props;
  const id = (name: string) => `${idPrefix}${name}`;
  const input = (name: string, label: string, type: string, extra: Record<string, unknown> = {}) => (
    <>
      <label for={id(name)}>{label}</label>
      <input
        id={id(name)}
        type={type}
        name={name}
        value={values[name] ?? ''}
        aria-invalid={invalidIf(error, name)}
        {...extra}
      />
    </>
  );
  return (
    <>
      {input('host', 'IMAP server', 'text', { required: true, placeholder: 'imap.example.org' })}
      <label class="check">
        <input type="checkbox" name="secure" value="1" checked={values.secure === '1'} /> TLS from the start (port 993);
        otherwise STARTTLS is required (plain text only to a server on this machine)
      </label>
      {input('port', 'Port (empty: 993 with TLS, 143 without)', 'number', { min: 1, max: 65535 })}
      {input('username', 'User name', 'text', { required: true, autocomplete: 'off' })}
      <label for={id('password')}>
        Password{' '}
        <span class="hint">
          {editing ? '(empty keeps the stored one; it is never shown again)' : '(stored encrypted; never shown again)'}
        </span>
      </label>
      <input
        id={id('password')}
        type="password"
        name="password"
        value=""
        autocomplete="new-password"
        required={!editing}
        aria-invalid={invalidIf(error, 'password')}
      />
      {input('mailbox', 'Mailbox (folder; empty: INBOX)', 'text')}
    </>
  );
}

function AccountRow(props: { csrf: string; base: string; account: ImapAccount; values?: Values; error?: DomainError }) {
  const { csrf, base, account } = props;
  const url = `${base}/${account.id}`;
  return (
    <tr data-imap-account={account.id}>
      <td>
        <code>
          {account.host}:{account.port}
        </code>{' '}
        ({account.secure ? 'TLS' : 'STARTTLS'})
        <br />
        User <code>{account.username}</code>, mailbox <code>{account.mailbox}</code>
        <details open={props.error !== undefined}>
          <summary>Edit</summary>
          <ErrorNotice error={props.error} />
          <form method="post" action={url}>
            <CsrfField token={csrf} />
            <AccountFields
              idPrefix={`a-${account.id}-`}
              values={props.values ?? accountValues(account)}
              error={props.error}
              editing
            />
            <button type="submit">Save</button>
          </form>
        </details>
      </td>
      <td>
        {account.enabled ? 'enabled' : <span class="badge">disabled</span>}
        <br />
        <span class="muted">
          {account.uidValidity
            ? `Taken up to UID ${account.lastUid} (UIDVALIDITY ${account.uidValidity})`
            : 'Nothing taken yet'}
        </span>
      </td>
      <td>{account.lastPolledAt ? when(account.lastPolledAt) : <span class="muted">never</span>}</td>
      <td class="imap-error">{account.lastError ?? ''}</td>
      <td class="actions">
        <form method="post" action={`${url}/poll`} class="inline">
          <CsrfField token={csrf} />
          <button type="submit" class="secondary" disabled={!account.enabled}>
            Poll now
          </button>
        </form>
        <form method="post" action={`${url}/enabled`} class="inline">
          <CsrfField token={csrf} />
          <input type="hidden" name="enabled" value={account.enabled ? '0' : '1'} />
          <button type="submit" class="secondary">
            {account.enabled ? 'Disable' : 'Enable'}
          </button>
        </form>
        <RemoveButton action={`${url}/remove`} csrf={csrf} />
      </td>
    </tr>
  );
}

export function ImapSettingsPage(props: {
  csrf: string;
  project: Project;
  accounts: ImapAccount[];
  pollSeconds: number;
  /** The account whose edit form failed, with what was typed. */
  editing?: { accountId: string; values: Values; error: DomainError };
  /** The add form's input and error. */
  adding?: { values: Values; error: DomainError };
  polled?: PollOutcome;
}) {
  const { csrf, project, accounts, editing, adding, polled } = props;
  const base = `/p/${project.slug}/settings/imap`;
  const notice = polled ? pollMessage(polled) : undefined;
  return (
    <section>
      <SettingsNav project={project} />
      <h1>{project.name}: mailboxes (IMAP)</h1>
      <p class="muted">
        If the project's security address lives at a mail provider, Embargo can fetch its mail over IMAP
        {props.pollSeconds > 0 ? `, every ${props.pollSeconds} seconds` : ' when you press "Poll now"'}. Each message
        becomes a report, or a reply to one, as mail to an intake address does. The mailbox is opened read-only: nothing
        is deleted, moved or marked as read. Every message already in it is taken at the first poll, so use a mailbox
        (or folder) that only holds security reports.
      </p>
      {notice ? (
        <p class={notice.error ? 'notice error' : 'notice'} role="status" data-poll={polled?.status}>
          {notice.text}
        </p>
      ) : null}
      {accounts.length === 0 ? (
        <p class="muted">No mailbox yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Mailbox</th>
              <th>State</th>
              <th>Last poll</th>
              <th>Last error</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {accounts.map((a) => (
              <AccountRow
                key={a.id}
                csrf={csrf}
                base={base}
                account={a}
                {...(editing?.accountId === a.id ? { values: editing.values, error: editing.error } : {})}
              />
            ))}
          </tbody>
        </table>
      )}
      <h2>Add a mailbox</h2>
      <ErrorNotice error={adding?.error} />
      <form method="post" action={base}>
        <CsrfField token={csrf} />
        <AccountFields
          idPrefix="new-"
          values={adding?.values ?? { secure: '1', mailbox: 'INBOX' }}
          error={adding?.error}
          editing={false}
        />
        <button type="submit">Add mailbox</button>
      </form>
    </section>
  );
}
