// Progressive enhancement only: the CWE picker (views/cwe-picker.tsx) works without this file.
// As the user types in its search box, asks GET /api/v1/cwe and redraws the results in place, each
// with the same Add form the server renders (address and CSRF token from the picker's data-* attributes).
(() => {
  const DEBOUNCE_MS = 150; // about one keystroke pause: fewer requests, still feels immediate
  const LIMIT = 20; // as many as the server-rendered list

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    // Text is always set as text, never parsed as HTML.
    for (const child of children) node.append(child);
    return node;
  };
  // As views/cwe-picker.tsx writes it.
  const resultsTitle = (query, count) => {
    if (query !== '') return `${count === 0 ? 'No' : 'Best'} matches for “${query}”`;
    return count === 0 ? '' : 'Frequent weaknesses';
  };
  const hidden = (name, value) => el('input', { type: 'hidden', name, value });

  function item(picker, cwe, query, chosen) {
    const link = el(
      'a',
      { href: `https://cwe.mitre.org/data/definitions/${cwe.id}.html`, rel: 'noreferrer noopener' },
      `CWE-${cwe.id}: ${cwe.name}`,
    );
    let action;
    if (chosen.has(cwe.id)) {
      action = el('button', { type: 'button', class: 'secondary', disabled: '' }, 'Added');
    } else {
      action = el('form', { method: 'post', action: picker.dataset.addAction, class: 'inline' });
      action.append(hidden('_csrf', picker.dataset.csrf), hidden('cwe', String(cwe.id)));
      if (query) action.append(hidden('cwe_q', query));
      action.append(el('button', { type: 'submit', class: 'secondary', 'aria-label': `Add CWE-${cwe.id}` }, 'Add'));
    }
    return el('li', { 'data-cwe-id': String(cwe.id) }, link, ' ', action);
  }

  function enhance(picker) {
    const input = picker.querySelector('input[name="cwe_q"]');
    const list = picker.querySelector('[data-cwe-results]');
    const title = picker.querySelector('[data-cwe-results-title]');
    if (!input || !list || !title || !picker.dataset.addAction || !picker.dataset.csrf) return;
    const form = input.form;
    let timer;
    let inFlight;
    let shown = input.value.trim();

    async function search(fallBackToForm) {
      const query = input.value.trim();
      inFlight?.abort();
      const controller = new AbortController();
      inFlight = controller;
      try {
        const url = `${picker.dataset.cweApi}?${new URLSearchParams({ q: query, limit: String(LIMIT) })}`;
        const res = await fetch(url, {
          headers: { accept: 'application/json' },
          credentials: 'omit',
          signal: controller.signal,
        });
        if (!res.ok) throw new Error(`CWE search answered ${res.status}`);
        const { results } = await res.json();
        const chosen = new Set(
          [...picker.querySelectorAll('.cwe-selected [data-cwe-id]')].map((li) => Number(li.dataset.cweId)),
        );
        list.replaceChildren(...results.map((cwe) => item(picker, cwe, query, chosen)));
        title.textContent = resultsTitle(query, results.length);
        shown = query;
        // A reload (or going back to the page) shows the same search, as the server renders it.
        const here = new URL(window.location.href);
        if (query) here.searchParams.set('cwe_q', query);
        else here.searchParams.delete('cwe_q');
        window.history.replaceState(window.history.state, '', here);
      } catch (err) {
        if (err.name === 'AbortError') return;
        // The page still works the old way: a submitted search reloads it with the results.
        if (fallBackToForm && form) form.submit();
      }
    }

    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (input.value.trim() !== shown) search(false);
      }, DEBOUNCE_MS);
    });
    form?.addEventListener('submit', (event) => {
      event.preventDefault();
      clearTimeout(timer);
      search(true);
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    for (const picker of document.querySelectorAll('[data-cwe-picker]')) enhance(picker);
  });
})();
