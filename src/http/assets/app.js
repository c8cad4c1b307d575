// Progressive enhancement only: every page works without this file.
// Shows acknowledgement clocks relative to the viewer's time ("due in 3 h") and keeps them current,
// and asks for confirmation before forms marked data-confirm are sent.
(() => {
  const describe = (ms) => {
    const abs = Math.abs(ms);
    const h = Math.floor(abs / 3600000);
    const m = Math.floor((abs % 3600000) / 60000);
    const text = h >= 48 ? `${Math.floor(h / 24)} d` : h > 0 ? `${h} h ${m} min` : `${m} min`;
    return ms >= 0 ? `due in ${text}` : `overdue by ${text}`;
  };
  const refresh = () => {
    for (const el of document.querySelectorAll('[data-due]')) {
      const ms = Date.parse(el.getAttribute('data-due')) - Date.now();
      if (Number.isNaN(ms)) continue;
      el.textContent = describe(ms);
      el.className = ms >= 0 ? 'due' : 'overdue';
    }
  };
  document.addEventListener('DOMContentLoaded', () => {
    refresh();
    setInterval(refresh, 30000);
    for (const form of document.querySelectorAll('form[data-confirm]')) {
      form.addEventListener('submit', (event) => {
        if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
      });
    }
  });
})();
