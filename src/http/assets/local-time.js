// Progressive enhancement only: pages write every embargo time in UTC (<time data-local-time>), which
// is complete without this file. It adds the same instant in the viewer's own time zone beside it,
// unless that zone is UTC.
(() => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || zone === 'UTC' || zone === 'Etc/UTC') return;
  const format = new Intl.DateTimeFormat(undefined, {
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  for (const node of document.querySelectorAll('time[data-local-time]')) {
    const at = new Date(node.getAttribute('datetime') ?? '');
    if (Number.isNaN(at.getTime()) || node.dataset.localShown) continue;
    node.dataset.localShown = '1';
    const local = document.createElement('span');
    local.className = 'local-time muted';
    // Text only, never parsed as HTML.
    local.textContent = ` (your time: ${format.format(at)})`;
    node.after(local);
  }
})();
