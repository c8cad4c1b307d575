// Progressive enhancement of the CVSS calculator (views/cvss-calculator.tsx); the form works without it.
// On every radio change it rebuilds the vector at once, shows the chosen value's explanation, and asks
// the server for the scores (GET /api/v1/cvss): no score is ever computed here. It fills the elements
// the view renders exactly as the view renders them, so the result equals a JavaScript-off Calculate.
(() => {
  const DASH = '—';

  /** One score cell, as ScoreValue in cvss-calculator.tsx renders it. */
  const showScore = (form, name, rated, nomenclature) => {
    const cell = form.querySelector(`[data-cvss-score="${name}"]`);
    if (!cell) return;
    cell.querySelector('[data-cvss-number]').textContent = rated ? rated.score.toFixed(1) : DASH;
    const rating = cell.querySelector('[data-cvss-rating]');
    rating.textContent = rated ? rated.rating : '';
    rating.className = rated ? `badge sev-${rated.rating.toLowerCase()}` : 'badge';
    rating.hidden = !rated;
    const nom = cell.querySelector('[data-cvss-nomenclature]');
    if (nom) {
      nom.textContent = nomenclature || '';
      nom.hidden = !nomenclature;
    }
  };

  const showScores = (form, result) => {
    showScore(form, 'base', result?.base);
    showScore(form, 'temporal', result?.temporal);
    showScore(form, 'threat', result?.threat);
    showScore(form, 'environmental', result?.environmental);
    showScore(form, 'overall', result?.overall, result?.overall?.nomenclature);
  };

  const setError = (form, field, message) => {
    const slot =
      (field && form.querySelector(`[data-cvss-error-for="${field}"]`)) || form.querySelector('[data-cvss-error]');
    slot.textContent = message;
    slot.hidden = false;
    slot.closest('fieldset')?.classList.add('invalid');
  };

  const clearErrors = (form) => {
    for (const slot of form.querySelectorAll('[data-cvss-error-for], [data-cvss-error]')) {
      slot.textContent = '';
      slot.hidden = true;
    }
    for (const fieldset of form.querySelectorAll('fieldset.invalid')) fieldset.classList.remove('invalid');
    form.querySelector('input[name="vector"]')?.removeAttribute('aria-invalid');
  };

  /** Opens the collapsed group holding a metric, so a value set from a pasted vector is in view. */
  const openGroupOf = (form, key) => {
    const details = form.querySelector(`[data-cvss-metric="${key}"]`)?.closest('details');
    if (details) details.open = true;
  };

  const enhance = (form) => {
    const prefix = form.dataset.cvssPrefix;
    const order = form.dataset.cvssOrder.split(' ');
    const base = form.dataset.cvssBase.split(' ');
    const api = form.dataset.cvssApi;
    const vectorOut = form.querySelector('[data-cvss-vector]');
    const savedBadge = form.querySelector('[data-cvss-saved-state]');
    let pending;

    const radio = (key) => form.querySelector(`input[name="m_${key}"]:checked`);
    const chosen = (key) => radio(key)?.value ?? '';

    const vectorOfRadios = () => {
      const parts = order
        .map((key) => [key, chosen(key)])
        .filter(([, value]) => value !== '' && value !== 'X')
        .map(([key, value]) => `${key}:${value}`);
      return parts.length === 0 ? null : prefix + parts.join('/');
    };

    const showVector = (vector) => {
      vectorOut.textContent = vector ?? vectorOut.dataset.cvssEmpty;
      const saved = form.dataset.cvssSaved;
      const state =
        vector === null ? '' : vector === saved ? savedBadge.dataset.cvssSavedText : savedBadge.dataset.cvssUnsavedText;
      savedBadge.textContent = state;
      savedBadge.hidden = state === '';
    };

    const showExplanation = (key) => {
      const slot = form.querySelector(`[data-cvss-explain="${key}"]`);
      const input = radio(key);
      if (slot && input) slot.textContent = input.dataset.explain;
    };

    /** Asks the server about a vector; resolves to its answer, or undefined when superseded or failed. */
    const ask = async (vector) => {
      pending?.abort();
      const controller = new AbortController();
      pending = controller;
      try {
        const res = await fetch(`${api}?vector=${encodeURIComponent(vector)}`, {
          headers: { accept: 'application/json' },
          // The API reads no cookies; sending none keeps it that way.
          credentials: 'omit',
          signal: controller.signal,
        });
        const body = await res.json();
        if (controller.signal.aborted) return undefined;
        if (!res.ok) return { error: body.error ?? { message: 'The vector could not be scored.' } };
        return { result: body };
      } catch (err) {
        if (err?.name === 'AbortError') return undefined;
        return { error: { message: 'The scores could not be fetched; use Calculate instead.' } };
      }
    };

    const recalculate = async () => {
      const vector = vectorOfRadios();
      showVector(vector);
      clearErrors(form);
      // Until every base metric is chosen there is nothing to score; the server would only say so.
      if (vector === null || base.some((key) => chosen(key) === '')) {
        pending?.abort();
        showScores(form, undefined);
        return;
      }
      const answer = await ask(vector);
      if (!answer) return;
      if (answer.error) {
        showScores(form, undefined);
        setError(form, answer.error.details?.metric, answer.error.message);
        return;
      }
      showScores(form, answer.result);
      showVector(answer.result.vector);
    };

    form.addEventListener('change', (event) => {
      const input = event.target;
      if (!(input instanceof HTMLInputElement) || input.type !== 'radio' || !input.name.startsWith('m_')) return;
      showExplanation(input.name.slice(2));
      void recalculate();
    });

    // Apply vector in place when the server accepts it for this form's version; anything else (another
    // version, or no answer) goes to the server as a normal submission, which explains the refusal.
    const apply = form.querySelector('[data-cvss-apply]');
    const pasteInput = form.querySelector('input[name="vector"]');
    let native = false;
    apply?.addEventListener('click', async (event) => {
      if (native || !pasteInput || pasteInput.value.trim() === '') return;
      event.preventDefault();
      const answer = await ask(pasteInput.value.trim());
      if (!answer) return;
      if (answer.error?.details?.field === 'vector') {
        clearErrors(form);
        setError(form, 'vector', answer.error.message);
        pasteInput.setAttribute('aria-invalid', 'true');
        return;
      }
      if (!answer.result || answer.result.version !== form.dataset.cvss) {
        native = true;
        form.requestSubmit(apply);
        return;
      }
      const values = new Map(answer.result.metrics.map((m) => [m.key, m.value]));
      for (const key of order) {
        const value = values.get(key) ?? 'X';
        for (const input of form.querySelectorAll(`input[name="m_${key}"]`)) input.checked = input.value === value;
        showExplanation(key);
        if (values.has(key)) openGroupOf(form, key);
      }
      pasteInput.value = '';
      clearErrors(form);
      showScores(form, answer.result);
      showVector(answer.result.vector);
    });
  };

  document.addEventListener('DOMContentLoaded', () => {
    for (const form of document.querySelectorAll('form[data-cvss]')) enhance(form);
  });
})();
