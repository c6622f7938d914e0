// The upload panel: every file picked or dropped on the gallery goes up on its own through tus (resumable), three at a
// time, and stays listed with its state until the panel is closed. The plain form underneath still works without
// JavaScript. When the session ends the queue pauses, a login modal opens, and the queue resumes after logging in.
(function () {
  'use strict';

  var ROWS_PER_FRAME = 100;
  var CHUNK_BYTES = 8 * 1024 * 1024;
  var RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000];
  // The intake's own wording for a duplicate (src/photos/photo-upload.service.ts).
  var DUPLICATE = 'is already in your library.';
  var RATE_WINDOW_MS = 20000;

  var LABELS = {
    waiting: 'Waiting',
    uploading: 'Uploading',
    processing: 'Uploaded — processing',
    done: 'Done',
    duplicate: 'Already in your library',
    refused: 'Refused',
    failed: 'Failed',
    cancelled: 'Cancelled',
  };
  var ICONS = {
    waiting: 'bi-hourglass',
    uploading: 'bi-arrow-up-circle text-primary',
    processing: 'bi-gear text-primary',
    done: 'bi-check-circle-fill text-success',
    duplicate: 'bi-check-circle text-secondary',
    refused: 'bi-x-octagon-fill text-danger',
    failed: 'bi-exclamation-triangle-fill text-warning',
    cancelled: 'bi-slash-circle text-secondary',
  };
  var ACTIVE = { waiting: true, uploading: true };

  var items = []; // every file of this page's session, in the order they came
  var waiting = []; // items to start, first in first out
  var unrendered = []; // items without a row in the list yet
  var dirty = new Set(); // items whose row needs redrawing
  var processing = new Map(); // photo id → item, until its card in the grid is ready
  var inFlight = 0;
  var paused = false;
  var frameRequested = false;
  var samples = []; // [time, bytes sent so far] over the last RATE_WINDOW_MS, for the time left
  var bytesSent = 0;
  var csrf = null;

  function panel() {
    return document.getElementById('upload-panel');
  }
  function part(name) {
    return panel().querySelector('[data-' + name + ']');
  }

  function csrfToken() {
    if (csrf) return csrf;
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : '';
  }

  // --- The queue -------------------------------------------------------------------------------------------------------

  function add(files) {
    if (!panel() || !window.tus) return false;
    Array.prototype.forEach.call(files, function (file) {
      var item = { file: file, name: file.name, size: file.size, state: 'waiting', sent: 0, reason: '', upload: null, row: null };
      items.push(item);
      waiting.push(item);
      unrendered.push(item);
    });
    panel().hidden = false;
    redraw();
    pump();
    return true;
  }

  function pump() {
    var atOnce = parseInt(panel().dataset.uploadsAtOnce, 10) || 1; // min(3, MAX_CONCURRENT_UPLOADS_PER_ACCOUNT)
    while (!paused && inFlight < atOnce && waiting.length > 0) {
      var item = waiting.shift();
      if (item.state === 'waiting') start(item);
    }
    redraw();
  }

  function start(item) {
    inFlight += 1;
    setState(item, 'uploading');
    item.upload = item.upload || newUpload(item);
    item.upload.start();
  }

  function newUpload(item) {
    return new window.tus.Upload(item.file, {
      endpoint: '/uploads',
      metadata: { filename: item.name, filetype: item.file.type },
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS,
      storeFingerprintForResuming: false,
      onBeforeRequest: function (req) {
        req.setHeader('X-CSRF-Token', csrfToken());
      },
      onShouldRetry: function (error) {
        var status = statusOf(error);
        return !status || (status >= 500 && status !== 503) || status === 409 || status === 423;
      },
      onProgress: function (sent) {
        countSent(sent - item.sent);
        item.sent = sent;
        touch(item);
      },
      onSuccess: function (payload) {
        var response = payload && payload.lastResponse;
        var photoId = response && response.getHeader('Photo-Id');
        var refusal = response && response.getHeader('Upload-Refused');
        if (photoId) settle(item, 'processing', '', photoId);
        else if (refusal) refuse(item, headerText(refusal));
        else finish(item);
      },
      onError: function (error) {
        failed(item, error);
      },
    });
  }

  // Every byte had arrived but the server could not take the file in then (photo storage down: 503). tus-js-client's
  // retry asks where the upload is, hears "at the end" and calls it a success without the answer; a PATCH of no bytes
  // at the end has the server take the file in now and say what became of it.
  function finish(item) {
    fetch(item.upload.url, {
      method: 'PATCH',
      credentials: 'same-origin',
      redirect: 'manual',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': String(item.size),
        'Content-Type': 'application/offset+octet-stream',
        'X-CSRF-Token': csrfToken(),
      },
    })
      .then(function (res) {
        var photoId = res.headers.get('Photo-Id');
        var refusal = res.headers.get('Upload-Refused');
        if (res.ok && photoId) return settle(item, 'processing', '', photoId);
        if (res.ok && refusal) return refuse(item, headerText(refusal));
        return res.text().then(function (body) {
          var response = {
            getStatus: function () {
              return res.status;
            },
            getHeader: function (name) {
              return res.headers.get(name);
            },
            getBody: function () {
              return body;
            },
          };
          if (res.ok) settle(item, 'failed', 'The server did not say what became of this file.');
          else failed(item, { originalResponse: response });
        });
      })
      .catch(function () {
        settle(item, 'failed', 'The connection was lost.');
      });
  }

  function failed(item, error) {
    var status = statusOf(error);
    item.refusedTokens = status === 403 ? (item.refusedTokens || 0) + 1 : 0;
    if (status === 401 || (status === 403 && item.refusedTokens === 1)) {
      // Logged out, or the token changed with the session: back to the front of the queue, resumed after logging in.
      inFlight -= 1;
      item.state = 'waiting';
      touch(item);
      waiting.unshift(item);
      return status === 401 ? sessionEnded() : renewToken();
    }
    if (status === 429 || status === 503) return later(item, error.originalResponse.getHeader('Retry-After'));
    var body = error.originalResponse && error.originalResponse.getBody();
    if (status >= 400 && status < 500 && body) return refuse(item, body.trim());
    settle(item, 'failed', status ? 'The server answered ' + status + '.' : 'The connection was lost.');
  }

  // The server is busy (with this account's other uploads, or everyone's): the file waits the time it asks for.
  function later(item, retryAfter) {
    inFlight -= 1;
    setState(item, 'waiting');
    setTimeout(
      function () {
        if (item.state !== 'waiting') return;
        waiting.unshift(item);
        pump();
      },
      (parseInt(retryAfter, 10) || 5) * 1000,
    );
    pump();
  }

  function refuse(item, reason) {
    settle(item, reason.indexOf(DUPLICATE) >= 0 ? 'duplicate' : 'refused', reason);
  }

  function settle(item, state, reason, photoId) {
    if (item.state !== 'uploading') return;
    inFlight -= 1;
    item.reason = reason;
    setState(item, state);
    if (photoId) {
      item.photoId = photoId;
      processing.set(photoId, item);
      showNewPhoto(photoId);
    }
    pump();
  }

  function cancel(item) {
    if (!ACTIVE[item.state]) return;
    if (item.state === 'uploading') {
      inFlight -= 1;
      item.upload.abort(true).catch(function () {}); // DELETE: the server drops what it had
    }
    setState(item, 'cancelled');
    pump();
  }

  // Waiting files first: cancelling one in flight starts the next waiting one, which would only be cancelled again.
  function cancelAll() {
    var active = items.filter((item) => ACTIVE[item.state]);
    active.filter((item) => item.state !== 'uploading').forEach(cancel);
    active.filter((item) => item.state === 'uploading').forEach(cancel);
  }

  function retry(item) {
    if (item.state !== 'failed' || item.photoId) return;
    item.reason = '';
    setState(item, 'waiting');
    waiting.push(item);
    pump();
  }

  function statusOf(error) {
    return error && error.originalResponse ? error.originalResponse.getStatus() : 0;
  }

  function headerText(value) {
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }

  function setState(item, state) {
    item.state = state;
    touch(item);
  }

  function countSent(bytes) {
    bytesSent += bytes;
    var now = performance.now();
    samples.push([now, bytesSent]);
    while (samples.length > 2 && now - samples[0][0] > RATE_WINDOW_MS) samples.shift();
  }

  // --- The grid: each new photo's card goes on top (while processing, it turns ready on its own) ---------------------------------

  // Fetched here rather than by htmx.ajax: with the session gone, htmx would follow the server's HX-Redirect to the
  // login page and lose the queue; here the queue pauses and the card comes after logging in again.
  function showNewPhoto(id) {
    var grid = document.getElementById('photo-grid');
    if (!grid || grid.querySelector('[data-photo-id="' + CSS.escape(id) + '"]')) return checkProcessed();
    fetch('/photos/' + encodeURIComponent(id) + '/card', {
      credentials: 'same-origin',
      redirect: 'manual',
      headers: { 'HX-Request': 'true' },
    })
      .then(function (res) {
        if (res.status === 401 || res.type === 'opaqueredirect') {
          processing.get(id).cardMissing = true;
          return sessionEnded();
        }
        if (!res.ok) throw new Error('No card for ' + id + ': ' + res.status);
        return res.text().then(function (html) {
          if (document.getElementById('photo-grid') === grid)
            htmx.swap(grid, html, { swapStyle: 'afterbegin', swapDelay: 0, settleDelay: 20 }, {});
        });
      })
      .catch(function (error) {
        console.warn(error);
      });
  }

  // The failed card's own reason ("Could not be read as an image; …"), as a sentence that names the file.
  function failureOf(card, name) {
    var reason = card.querySelector('.failure-reason');
    var text = reason ? reason.textContent.trim() : 'Could not be read as an image.';
    return name + ' ' + text.charAt(0).toLowerCase() + text.slice(1);
  }

  function checkProcessed() {
    processing.forEach(function (item, id) {
      var card = document.querySelector('#photo-grid [data-photo-id="' + CSS.escape(id) + '"]');
      var state = card && (card.getAttribute('data-photo-state') || 'ready');
      if (state === 'ready' || state === 'failed') {
        processing.delete(id);
        item.reason = state === 'failed' ? failureOf(card, item.name) : '';
        setState(item, state === 'ready' ? 'done' : 'refused');
      }
    });
  }

  new MutationObserver(function (mutations) {
    var panelElement = panel();
    var outside = mutations.some(function (mutation) {
      return !panelElement || !panelElement.contains(mutation.target);
    });
    if (processing.size > 0 && outside) checkProcessed();
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-photo-state'] });

  // --- Drawing: rows are added a batch per frame, and only changed rows are redrawn ------------------------------------

  function touch(item) {
    dirty.add(item);
    redraw();
  }

  function redraw() {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(draw);
  }

  function draw() {
    frameRequested = false;
    if (!panel()) return;
    var list = part('upload-list');
    var template = part('upload-row');
    var batch = unrendered.splice(0, ROWS_PER_FRAME);
    if (batch.length) {
      var fragment = document.createDocumentFragment();
      batch.forEach(function (item) {
        item.row = template.content.firstElementChild.cloneNode(true);
        item.row.uploadItem = item;
        item.row.querySelector('[data-name]').textContent = item.name;
        item.row.querySelector('[data-name]').title = item.name;
        drawRow(item);
        fragment.appendChild(item.row);
      });
      list.appendChild(fragment);
    }
    dirty.forEach(function (item) {
      if (item.row) drawRow(item);
    });
    dirty.clear();
    drawSummary();
    if (unrendered.length) redraw();
  }

  function drawRow(item) {
    var row = item.row;
    var percent = item.size ? Math.floor((item.sent / item.size) * 100) : 100;
    row.dataset.state = item.state;
    row.querySelector('.upload-icon').className = 'bi upload-icon ' + ICONS[item.state];
    var progress = row.querySelector('progress');
    progress.hidden = item.state !== 'uploading';
    progress.value = percent;
    progress.setAttribute('aria-label', item.name + ': ' + percent + '%');
    var label = LABELS[item.state];
    if (item.state === 'uploading') label += ' ' + percent + '% · ' + megabytes(item.size);
    else if (item.state === 'waiting') label += paused ? ' — paused' : ' · ' + megabytes(item.size);
    if (item.reason && item.state !== 'duplicate') label += ': ' + item.reason;
    var status = row.querySelector('[data-status]');
    status.textContent = label;
    status.className = 'small upload-status ' + (item.state === 'refused' ? 'text-danger' : 'text-body-secondary');
    row.querySelector('[data-cancel]').hidden = !ACTIVE[item.state];
    row.querySelector('[data-cancel] .visually-hidden').textContent = 'Cancel ' + item.name;
    row.querySelector('[data-retry]').hidden = !(item.state === 'failed' && !item.photoId);
  }

  function drawSummary() {
    var total = 0;
    var progressed = 0;
    var settled = 0;
    var counted = 0;
    var active = 0;
    items.forEach(function (item) {
      if (item.state === 'cancelled') return;
      counted += 1;
      total += item.size;
      if (ACTIVE[item.state]) {
        active += 1;
        progressed += item.sent;
      } else {
        settled += 1;
        progressed += item.size;
      }
    });
    var text = settled + ' of ' + counted + ' · ' + megabytes(progressed) + ' of ' + megabytes(total);
    if (paused) text += ' · paused';
    else if (active) text += ' · ' + timeLeft(total - progressed);
    part('upload-summary').textContent = text;
    part('upload-total').value = total ? Math.floor((progressed / total) * 100) : 100;
    part('upload-title').textContent = active ? 'Uploading ' + counted + (counted === 1 ? ' file' : ' files') : 'Uploads';
    part('upload-cancel-all').hidden = !active;
    part('upload-close').hidden = active > 0;
  }

  function timeLeft(bytes) {
    if (samples.length < 2) return 'estimating time left';
    var first = samples[0];
    var last = samples[samples.length - 1];
    var rate = (last[1] - first[1]) / Math.max(1, last[0] - first[0]); // bytes per ms
    if (rate <= 0) return 'estimating time left';
    var minutes = bytes / rate / 60000;
    if (minutes < 1) return 'less than a minute left';
    if (minutes < 90) return 'about ' + Math.round(minutes) + ' min left';
    return 'about ' + Math.round(minutes / 60) + ' h left';
  }

  function megabytes(bytes) {
    var mb = bytes / 1024 / 1024;
    return (mb >= 10 || mb === 0 ? Math.round(mb) : mb.toFixed(1)) + ' MB';
  }

  function close() {
    if (items.some((item) => ACTIVE[item.state])) return;
    items = [];
    waiting = [];
    unrendered = [];
    processing.clear();
    samples = [];
    bytesSent = 0;
    part('upload-list').replaceChildren();
    panel().hidden = true;
  }

  // --- Session ended: pause, log in in the modal, take the new session's token, resume ---------------------------------

  function sessionEnded() {
    if (paused) return;
    paused = true;
    part('upload-session-ended').hidden = false;
    items.forEach(touch);
    openLogin();
  }

  // Any htmx request of the page (the grid's poller, the next page of the grid) that finds the session ended while the
  // panel still holds work would follow HX-Redirect to the login page and lose the queue: pause and ask here instead.
  document.addEventListener('htmx:beforeOnLoad', function (event) {
    if (event.detail.xhr.status !== 401 || !holdsWork()) return;
    event.preventDefault();
    sessionEnded();
  });

  function holdsWork() {
    return processing.size > 0 || items.some((item) => ACTIVE[item.state]);
  }

  // The grid's poller stops at a refused request; a fresh copy of it asks again (after its delay) once logged in.
  function restartPoller() {
    var poller = document.getElementById('processing-poll');
    if (!poller || !poller.hasAttribute('hx-get')) return;
    var fresh = poller.cloneNode(false);
    poller.replaceWith(fresh);
    htmx.process(fresh);
  }

  function openLogin() {
    var modal = document.getElementById('session-modal');
    window.bootstrap.Modal.getOrCreateInstance(modal).show();
  }

  function fetchToken() {
    return fetch('/csrf-token', { credentials: 'same-origin', headers: { Accept: 'application/json' } }).then(function (res) {
      if (!res.ok) throw new Error('No token: ' + res.status);
      return res.json();
    });
  }

  // A refused token: with the session still there (it was renewed, e.g. by a password change in another tab) take the
  // current one and go on; without it, the session has ended.
  var renewing = null;
  function renewToken() {
    if (renewing || paused) return;
    renewing = fetchToken()
      .then(function (body) {
        if (!body.loggedIn) return sessionEnded();
        useToken(body.token);
        pump();
      })
      .catch(sessionEnded)
      .finally(function () {
        renewing = null;
      });
  }

  function useToken(token) {
    csrf = token;
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) meta.content = token;
    Array.prototype.forEach.call(document.querySelectorAll('input[name="_csrf"]'), function (input) {
      if (!input.closest('[data-session-login]')) input.value = token;
    });
  }

  function logIn(form) {
    var error = form.querySelector('[data-session-login-error]');
    var button = form.querySelector('[type=submit]');
    error.hidden = true;
    button.disabled = true;
    fetchToken()
      .then(function (body) {
        form.querySelector('input[name="_csrf"]').value = body.token; // a visitor's token: the old session is gone
        return fetch('/login', {
          method: 'POST',
          credentials: 'same-origin',
          redirect: 'manual',
          headers: { 'X-Stay-On-Page': '1' }, // no "Welcome back!" left for the next page
          body: new URLSearchParams(new FormData(form)),
        });
      })
      .then(function (res) {
        if (res.type === 'opaqueredirect') return loggedIn(form);
        return res.text().then(function (html) {
          var page = new DOMParser().parseFromString(html, 'text/html');
          var message = page.querySelector('#login-error') || page.querySelector('main .alert-danger') || page.querySelector('main h1');
          throw new Error(message ? message.textContent.trim() : 'Logging in did not work (' + res.status + ').');
        });
      })
      .catch(function (problem) {
        error.textContent = problem.message;
        error.hidden = false;
        form.querySelector('[name=password]').setAttribute('aria-describedby', error.id);
      })
      .finally(function () {
        button.disabled = false;
      });
  }

  function loggedIn(form) {
    return fetchToken().then(function (body) {
      useToken(body.token);
      form.reset();
      window.bootstrap.Modal.getOrCreateInstance(document.getElementById('session-modal')).hide();
      paused = false;
      part('upload-session-ended').hidden = true;
      items.forEach(touch);
      processing.forEach(function (item, id) {
        if (item.cardMissing) showNewPhoto(id);
        item.cardMissing = false;
      });
      restartPoller();
      pump();
    });
  }

  // --- Where files come from: the picker, the form, and drops anywhere on the gallery ----------------------------------

  function uploadForm() {
    return document.getElementById('upload-form');
  }

  function enhance(root) {
    var form = root.querySelector ? root.querySelector('#upload-form') : null;
    if (form && panel() && window.tus) form.classList.add('upload-enhanced');
  }
  document.addEventListener('htmx:load', function (event) {
    enhance(event.detail.elt);
  });
  enhance(document);

  document.addEventListener('change', function (event) {
    var form = uploadForm();
    if (!form || event.target.form !== form || event.target.type !== 'file') return;
    if (add(event.target.files)) form.reset();
  });

  document.addEventListener(
    'submit',
    function (event) {
      var form = event.target;
      if (form.matches('[data-session-login]')) {
        event.preventDefault();
        return logIn(form);
      }
      if (form !== uploadForm() || !panel() || !window.tus) return;
      event.preventDefault();
      if (add(form.querySelector('input[type=file]').files)) form.reset();
    },
    true,
  );

  function carriesFiles(event) {
    return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, 'Files') >= 0;
  }
  ['dragenter', 'dragover'].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (!uploadForm() || !carriesFiles(event)) return;
      event.preventDefault();
      document.getElementById('drop-zone').classList.add('dragging');
    });
  });
  ['dragleave', 'drop'].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var zone = document.getElementById('drop-zone');
      if (zone && (type === 'drop' || event.target === zone)) zone.classList.remove('dragging');
    });
  });
  document.addEventListener('drop', function (event) {
    if (!uploadForm() || !event.dataTransfer || event.dataTransfer.files.length === 0) return;
    event.preventDefault();
    add(event.dataTransfer.files);
  });

  // --- The panel's buttons, and leaving the page ----------------------------------------------------------------------

  document.addEventListener('click', function (event) {
    if (!panel() || !event.target.closest) return;
    var row = event.target.closest('.upload-row');
    if (event.target.closest('[data-cancel]') && row) cancel(row.uploadItem);
    else if (event.target.closest('[data-retry]') && row) retry(row.uploadItem);
    else if (event.target.closest('[data-upload-cancel-all]')) cancelAll();
    else if (event.target.closest('[data-upload-close]')) close();
    else if (event.target.closest('[data-upload-login]')) openLogin();
  });

  window.addEventListener('beforeunload', function (event) {
    if (!items.some((item) => ACTIVE[item.state])) return;
    event.preventDefault();
    event.returnValue = '';
  });
})();
