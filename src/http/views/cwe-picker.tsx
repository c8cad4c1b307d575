import type { Cwe } from '../../domain/severity/cwe.js';
import { CsrfField } from './layout.js';

/** The JSON search cwe.js calls as the user types; public, see api/cwe.api.ts. */
export const CWE_SEARCH_API = '/api/v1/cwe';

export interface CwePickerProps {
  /** The case's CWEs. */
  selected: { id: number; name: string }[];
  /** Current search text ('' for none). */
  query: string;
  /** Server-side search results for `query` (the JavaScript-off path). */
  results: Cwe[];
  /**
   * GET URL of the case page (any #fragment is replaced by #cwe). The search box is a GET form with
   * input "cwe_q": the browser replaces any query string of this URL with the form's.
   */
  searchAction: string;
  /** POST URL; form field "cwe" = id, plus "_csrf" (and "cwe_q", the search to show again). */
  addAction: string;
  /** POST URL; form field "cwe" = id, plus "_csrf". */
  removeAction: string;
  csrfToken: string;
  error?: string;
  canEdit: boolean;
}

export const cweUrl = (id: number) => `https://cwe.mitre.org/data/definitions/${id}.html`;

/** "CWE-79: name", linking to MITRE's page; the link opens no window that could reach back to the case. */
function CweLink({ cwe }: { cwe: { id: number; name: string } }) {
  return (
    <a href={cweUrl(cwe.id)} rel="noreferrer noopener">
      CWE-{cwe.id}: {cwe.name}
    </a>
  );
}

function AddButton(props: { id: number; query: string; addAction: string; csrfToken: string; added: boolean }) {
  if (props.added) {
    return (
      <button type="button" class="secondary" disabled>
        Added
      </button>
    );
  }
  return (
    <form method="post" action={props.addAction} class="inline">
      <CsrfField token={props.csrfToken} />
      <input type="hidden" name="cwe" value={String(props.id)} />
      {props.query ? <input type="hidden" name="cwe_q" value={props.query} /> : null}
      <button type="submit" class="secondary" aria-label={`Add CWE-${props.id}`}>
        Add
      </button>
    </form>
  );
}

/** The line above the results; cwe.js writes the same. Empty while there is nothing to list. */
function resultsTitle(query: string, count: number): string {
  if (query !== '') return `${count === 0 ? 'No' : 'Best'} matches for “${query}”`;
  return count === 0 ? '' : 'Frequent weaknesses';
}

/**
 * The weaknesses (CWEs) of a case: the chosen ones, a search over MITRE's list and an add-by-number
 * form. Every action is a plain form, so it works without JavaScript; cwe.js (include it on the page)
 * replaces the results as the user types, reading the data-* attributes of the picker. The page puts
 * it in its `<section id="cwe">` with the heading: the forms come back to that anchor.
 */
export function CwePicker(props: CwePickerProps) {
  const chosen = new Set(props.selected.map((c) => c.id));
  const query = props.query.trim();
  return (
    <div
      class="cwe-picker"
      data-cwe-picker=""
      data-cwe-api={CWE_SEARCH_API}
      data-add-action={props.canEdit ? props.addAction : undefined}
      data-csrf={props.canEdit ? props.csrfToken : undefined}
    >
      {props.error ? (
        <p class="notice error" role="alert" data-code="VALIDATION_FAILED">
          {props.error}
        </p>
      ) : null}
      {props.selected.length === 0 ? (
        <p class="muted">No CWE recorded.</p>
      ) : (
        <ul class="cwe-selected">
          {props.selected.map((c) => (
            <li key={c.id} data-cwe-id={String(c.id)}>
              <CweLink cwe={c} />{' '}
              {props.canEdit ? (
                <form method="post" action={props.removeAction} class="inline">
                  <CsrfField token={props.csrfToken} />
                  <input type="hidden" name="cwe" value={String(c.id)} />
                  <button type="submit" class="secondary" aria-label={`Remove CWE-${c.id}`}>
                    Remove
                  </button>
                </form>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {props.canEdit ? (
        <>
          <form method="get" action={`${props.searchAction.split('#')[0]}#cwe`} role="search" class="row cwe-search">
            <label for="cwe-q" class="sr-only">
              Search the CWE list
            </label>
            <input
              id="cwe-q"
              type="search"
              name="cwe_q"
              value={props.query}
              maxLength={100}
              autocomplete="off"
              placeholder="xss, sql injection, 787 …"
              aria-controls="cwe-results"
            />
            <button type="submit" class="secondary">
              Search
            </button>
          </form>
          <p class="muted" id="cwe-results-title" data-cwe-results-title="" aria-live="polite">
            {resultsTitle(query, props.results.length)}
          </p>
          <ul class="cwe-results" id="cwe-results" data-cwe-results="" aria-labelledby="cwe-results-title">
            {props.results.map((c) => (
              <li key={c.id} data-cwe-id={String(c.id)}>
                <CweLink cwe={c} />{' '}
                <AddButton
                  id={c.id}
                  query={query}
                  addAction={props.addAction}
                  csrfToken={props.csrfToken}
                  added={chosen.has(c.id)}
                />
              </li>
            ))}
          </ul>
          <form method="post" action={props.addAction} class="row cwe-add">
            <CsrfField token={props.csrfToken} />
            <label for="cwe-id">Add by number</label>
            <input
              id="cwe-id"
              type="text"
              name="cwe"
              required
              maxLength={20}
              placeholder="CWE-79"
              size={10}
              aria-invalid={props.error ? 'true' : undefined}
            />
            <button type="submit">Add</button>
          </form>
        </>
      ) : null}
    </div>
  );
}
