import { CsrfField } from './layout.js';

/** A one-button form that POSTs a removal: works without JavaScript, carries the CSRF token. */
export function RemoveButton({ action, csrf, label = 'Remove' }: { action: string; csrf: string; label?: string }) {
  return (
    <form method="post" action={action} class="inline">
      <CsrfField token={csrf} />
      <button type="submit" class="secondary danger">
        {label}
      </button>
    </form>
  );
}
