// Photosphere's only hand-written script: progressive enhancement on top of plain forms and links.
(function () {
  'use strict';

  // htmx requests carry the session's CSRF token in a header, read from the page's <meta name="csrf-token">.
  document.addEventListener('htmx:configRequest', function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers['X-CSRF-Token'] = meta.content;
  });

  // Toasts delivered by htmx responses (out-of-band into #toasts) show themselves, then go away.
  function showToasts(root) {
    var toasts = root.matches && root.matches('.toast') ? [root] : Array.prototype.slice.call(root.querySelectorAll('.toast'));
    toasts.forEach(function (el) {
      el.addEventListener('hidden.bs.toast', function () { el.remove(); });
      window.bootstrap.Toast.getOrCreateInstance(el, { delay: 6000 }).show();
    });
  }
  document.addEventListener('htmx:load', function (event) { showToasts(event.detail.elt); });
})();
