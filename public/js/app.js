// Photosphere's only hand-written script: progressive enhancement on top of plain forms and links.
(function () {
  'use strict';

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : '';
  }

  // htmx requests carry the session's CSRF token in a header, read from the page's <meta name="csrf-token">.
  document.addEventListener('htmx:configRequest', function (event) {
    event.detail.headers['X-CSRF-Token'] = csrfToken();
  });

  // Toasts delivered by htmx responses (out-of-band into #toasts) show themselves, then go away.
  function showToasts(root) {
    var toasts = root.matches && root.matches('.toast') ? [root] : Array.prototype.slice.call(root.querySelectorAll('.toast'));
    toasts.forEach(function (el) {
      el.addEventListener('hidden.bs.toast', function () {
        el.remove();
      });
      window.bootstrap.Toast.getOrCreateInstance(el, { delay: 6000 }).show();
    });
  }
  document.addEventListener('htmx:load', function (event) {
    showToasts(event.detail.elt);
  });

  // Delete: the trash button opens a confirm modal; confirming removes the card without a page load.
  var pending = null;

  document.addEventListener('click', function (event) {
    var trigger = event.target.closest('[data-delete-photo]');
    var modal = document.getElementById('delete-modal');
    if (!trigger || !modal || !window.bootstrap) return;
    event.preventDefault();
    pending = { id: trigger.dataset.deletePhoto, afterDelete: trigger.dataset.afterDelete, trigger: trigger };
    modal.querySelector('[data-photo-name]').textContent = trigger.dataset.photoName;
    window.bootstrap.Modal.getOrCreateInstance(modal).show();
  });

  document.addEventListener('click', function (event) {
    if (!event.target.closest('[data-confirm-delete]') || !pending) return;
    var target = pending;
    var modal = document.getElementById('delete-modal');
    target.confirmed = true;
    if (target.afterDelete) {
      submitDeleteForm(target.id);
    } else {
      var card = document.querySelector('.photo-card[data-photo-id="' + target.id + '"]');
      target.focusAfter = card && (nextFocus(card.nextElementSibling) || nextFocus(card.previousElementSibling));
      htmx.ajax('POST', '/delete-photo/' + target.id, { source: card, target: card, swap: 'outerHTML swap:300ms' });
    }
    window.bootstrap.Modal.getOrCreateInstance(modal).hide();
  });

  // When the modal closes, focus goes back to the grid: the same button after Cancel, a neighbour after Delete.
  document.addEventListener('hidden.bs.modal', function (event) {
    if (event.target.id !== 'delete-modal' || !pending) return;
    var focus = pending.confirmed ? pending.focusAfter || document.querySelector('h1') : pending.trigger;
    if (focus) focus.focus();
    pending = null;
  });

  function nextFocus(card) {
    return card && card.classList.contains('photo-card') ? card.querySelector('.thumb-link') : null;
  }

  // From the photo page, deleting leaves the page: a plain form post that redirects to the gallery.
  function submitDeleteForm(id) {
    var form = document.createElement('form');
    form.method = 'post';
    form.action = '/delete-photo/' + encodeURIComponent(id);
    var token = document.createElement('input');
    token.type = 'hidden';
    token.name = '_csrf';
    token.value = csrfToken();
    form.appendChild(token);
    document.body.appendChild(form);
    form.submit();
  }
})();

// Forms marked data-confirm-modal="<id>" ask in that modal first; without JavaScript they submit directly.
(function () {
  'use strict';
  var pendingForm = null;
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var modal = form.dataset && form.dataset.confirmModal && document.getElementById(form.dataset.confirmModal);
    if (!modal || !window.bootstrap || form.dataset.confirmed) return;
    event.preventDefault();
    pendingForm = form;
    window.bootstrap.Modal.getOrCreateInstance(modal).show();
  });
  document.addEventListener('click', function (event) {
    if (!event.target.closest('[data-confirm-submit]') || !pendingForm) return;
    pendingForm.dataset.confirmed = 'true';
    pendingForm.submit();
  });
})();

// Copy buttons (data-copy="<input id>") appear only with JavaScript; without it the field can be selected and copied.
(function () {
  'use strict';
  document.addEventListener('htmx:load', function (event) {
    Array.prototype.forEach.call(event.detail.elt.querySelectorAll('[data-copy]'), function (button) {
      button.hidden = false;
    });
  });
  document.addEventListener('click', function (event) {
    var button = event.target.closest('[data-copy]');
    if (!button) return;
    var input = document.getElementById(button.dataset.copy);
    input.select();
    var done = function () {
      button.innerHTML = '<i class="bi bi-clipboard-check" aria-hidden="true"></i> Copied';
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(done, function () {});
    else if (document.execCommand('copy')) done();
  });
})();
