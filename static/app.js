// Confidant client script: CSRF for fetch/htmx, WebAuthn ceremony forms,
// passkey autofill (conditional UI), dialogs, copy/download helpers and
// local time formatting. Loaded with <script src defer>; CSP-safe (no inline
// code, no eval, no innerHTML).
(function () {
  'use strict';

  const MSG = {
    generic: 'Something went wrong. Please try again.',
    network: 'Could not reach Confidant. Check your connection and try again.',
    unsupported: 'This browser does not support passkeys.',
    notAllowed: 'The passkey request was cancelled or timed out. Try again when you are ready.',
    invalidState: 'This device already holds a passkey for this account.',
    security: 'Passkeys need a secure connection (https or localhost).',
  };

  // ---- CSRF + JSON POST ---------------------------------------------------

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') || '' : '';
  }

  // htmx requests carry the same header as our fetches.
  document.addEventListener('htmx:configRequest', (evt) => {
    evt.detail.headers['X-CSRF-Token'] = csrfToken();
  });

  // An error whose message is already fit to show to the user.
  class UserError extends Error {}

  // POST a JSON body; resolve with the parsed JSON response or throw UserError.
  async function postJSON(url, body) {
    const headers = { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrfToken() };
    let res;
    try {
      res = await fetch(url, { method: 'POST', credentials: 'same-origin', headers, body: JSON.stringify(body) });
    } catch (_) {
      throw new UserError(MSG.network);
    }
    let data = null;
    try { data = await res.json(); } catch (_) { /* not JSON */ }
    if (!res.ok) throw new UserError((data && data.error && data.error.message) || MSG.generic);
    if (data === null || typeof data !== 'object') throw new UserError(MSG.generic);
    return data;
  }

  // ---- base64url <-> ArrayBuffer -----------------------------------------

  function b64uToBuf(value) {
    if (typeof value !== 'string') return value; // already binary (or absent)
    const b64 = value.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
  }

  function bufToB64u(buf) {
    const bin = Array.from(new Uint8Array(buf), (b) => String.fromCharCode(b)).join('');
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // ---- WebAuthn options / results ----------------------------------------

  const withBinaryIds = (list) => list && list.map((c) => ({ ...c, id: b64uToBuf(c.id) }));

  // JSON publicKey options -> the ArrayBuffer form navigator.credentials wants.
  function publicKeyOptions(kind, pk) {
    const PKC = window.PublicKeyCredential;
    const parse = kind === 'create' ? PKC.parseCreationOptionsFromJSON : PKC.parseRequestOptionsFromJSON;
    if (typeof parse === 'function') {
      try { return parse.call(PKC, pk); } catch (_) { /* convert by hand */ }
    }
    const out = { ...pk, challenge: b64uToBuf(pk.challenge) };
    if (pk.user) out.user = { ...pk.user, id: b64uToBuf(pk.user.id) };
    if (pk.excludeCredentials) out.excludeCredentials = withBinaryIds(pk.excludeCredentials);
    if (pk.allowCredentials) out.allowCredentials = withBinaryIds(pk.allowCredentials);
    return out;
  }

  // Standard JSON form of a PublicKeyCredential (what go-webauthn parses).
  function credentialJSON(cred) {
    if (typeof cred.toJSON === 'function') {
      try { return cred.toJSON(); } catch (_) { /* serialize by hand */ }
    }
    const r = cred.response;
    const json = {
      id: cred.id, rawId: bufToB64u(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: bufToB64u(r.clientDataJSON) },
    };
    if (cred.authenticatorAttachment) json.authenticatorAttachment = cred.authenticatorAttachment;
    if (r.attestationObject) { // create()
      json.response.attestationObject = bufToB64u(r.attestationObject);
      json.response.transports = typeof r.getTransports === 'function' ? r.getTransports() : [];
    } else { // get()
      json.response.authenticatorData = bufToB64u(r.authenticatorData);
      json.response.signature = bufToB64u(r.signature);
      if (r.userHandle) json.response.userHandle = bufToB64u(r.userHandle);
    }
    return json;
  }

  function beginOptions(begin) {
    if (!begin.ceremony || !begin.options || !begin.options.publicKey) throw new UserError(MSG.generic);
    return begin.options.publicKey;
  }

  function finishURL(form, ceremonyID) {
    const url = form.dataset.finish;
    return url + (url.includes('?') ? '&' : '?') + 'ceremony=' + encodeURIComponent(ceremonyID);
  }

  function describeError(err, kind) {
    if (err instanceof UserError) return err.message;
    switch (err && err.name) {
      case 'NotAllowedError': return MSG.notAllowed;
      case 'SecurityError': return MSG.security;
      case 'InvalidStateError': if (kind === 'create') return MSG.invalidState; break;
    }
    return (err && err.message) || MSG.generic;
  }

  // ---- Form state: errors, status, busy ----------------------------------

  function showError(form, message) {
    const el = form.querySelector('[data-error]');
    if (!el) { console.error(message); return; }
    el.textContent = message;
    el.hidden = false;
  }

  function clearMessages(form) {
    form.querySelectorAll('[data-error]').forEach((el) => { el.textContent = ''; el.hidden = true; });
    form.querySelectorAll('[data-status]').forEach((el) => { el.textContent = ''; el.hidden = true; });
  }

  // Temporarily replace a button's label; returns a function that restores it
  // (child nodes are kept, so icons inside the button survive).
  function swapLabel(el, text) {
    if (el instanceof HTMLInputElement) {
      const old = el.value;
      el.value = text;
      return () => { el.value = old; };
    }
    const old = Array.from(el.childNodes);
    el.textContent = text;
    return () => el.replaceChildren(...old);
  }

  const busyForms = new Map(); // form -> function that undoes the busy state

  function setBusy(form, submitter) {
    const buttons = Array.from(form.querySelectorAll('button:not([type]), button[type="submit"], input[type="submit"]'))
      .filter((b) => !b.disabled);
    buttons.forEach((b) => { b.disabled = true; });
    const restoreLabel = submitter && submitter.dataset.busyLabel
      ? swapLabel(submitter, submitter.dataset.busyLabel) : null;
    form.setAttribute('aria-busy', 'true');
    busyForms.set(form, () => {
      buttons.forEach((b) => { b.disabled = false; });
      if (restoreLabel) restoreLabel();
      form.removeAttribute('aria-busy');
    });
  }

  function clearBusy(form) {
    const undo = busyForms.get(form);
    busyForms.delete(form);
    if (undo) undo();
  }

  // Coming back through the back/forward cache must not leave forms stuck.
  window.addEventListener('pageshow', (evt) => {
    if (evt.persisted) Array.from(busyForms.keys()).forEach(clearBusy);
  });

  // Form fields as a plain object (repeated names become arrays).
  function collectFields(form) {
    const data = {};
    for (const [name, value] of new FormData(form)) {
      if (name === '_csrf' || typeof value !== 'string') continue; // files cannot travel as JSON
      data[name] = Object.prototype.hasOwnProperty.call(data, name) ? [].concat(data[name], value) : value;
    }
    return data;
  }

  // ---- Finish response ----------------------------------------------------

  // Returns true when the page is navigating away (the form stays busy).
  function handleFinish(form, result, fields) {
    if (Array.isArray(result.recovery_codes)) {
      showRecoveryCodes(form, result, fields);
      return false;
    }
    if (typeof result.api_key === 'string') {
      // A new API key is shown once, in the page's [data-new-key] section.
      const section = document.querySelector('[data-new-key]');
      const field = section && section.querySelector('[data-new-key-value]');
      if (section && field) {
        field.value = result.api_key;
        form.hidden = true;
        document.querySelectorAll('.empty').forEach((el) => { el.hidden = true; });
        section.hidden = false;
        field.focus();
        field.select();
        return false;
      }
    }
    if (typeof result.export_grant === 'string' && form.querySelector('input[name="grant"]')) {
      startDownload(form, result);
      return false;
    }
    if (result.redirect) {
      window.location.assign(result.redirect);
      return true;
    }
    const status = form.querySelector('[data-status]');
    if (result.message && status) {
      status.textContent = result.message;
      status.hidden = false;
    }
    return false;
  }

  // A confirmed export: post the form itself (its action streams the file),
  // so the browser saves the answer as a download and shows its progress.
  // The form's fields are read when it is submitted; then the passphrases
  // and the single-use grant are cleared from the page.
  function startDownload(form, result) {
    const grant = form.querySelector('input[name="grant"]');
    grant.value = result.export_grant;
    form.submit(); // does not fire 'submit', so no second ceremony
    grant.value = '';
    form.querySelectorAll('input[type="password"]').forEach((el) => { el.value = ''; });
    const status = form.querySelector('[data-status]');
    if (status && result.message) {
      status.textContent = result.message;
      status.hidden = false;
    }
  }

  function showRecoveryCodes(form, result, fields) {
    const section = document.querySelector('[data-recovery-codes]');
    const list = section && section.querySelector('ol[data-codes]');
    if (!list) { // never lose the codes, even if the page lacks the section
      showError(form, 'Save these recovery codes: ' + result.recovery_codes.join(', '));
      return;
    }
    list.replaceChildren(...result.recovery_codes.map((code) => {
      const li = document.createElement('li');
      li.append(Object.assign(document.createElement('code'), { textContent: code }));
      return li;
    }));
    const cont = section.querySelector('a[data-continue]');
    if (cont && result.redirect) cont.href = result.redirect;
    if (!section.dataset.username && fields && typeof fields.username === 'string') {
      section.dataset.username = fields.username;
    }
    form.hidden = true;
    // What led up to the codes (intro, "I already have an account") is done with.
    document.querySelectorAll('[data-before-codes]').forEach((el) => { el.hidden = true; });
    section.hidden = false;
    const heading = section.querySelector('h1, h2');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  }

  // ---- Ceremonies ---------------------------------------------------------

  let conditionalController = null; // pending passkey-autofill request, if any

  function stopConditional() {
    if (conditionalController) conditionalController.abort();
    conditionalController = null;
  }

  async function runCeremony(form, submitter) {
    stopConditional(); // any explicit ceremony ends autofill for good
    if (busyForms.has(form)) return;
    const kind = form.dataset.ceremony;
    clearMessages(form);
    if (!window.PublicKeyCredential || !navigator.credentials) {
      showError(form, MSG.unsupported);
      return;
    }
    await withBusy(form, submitter, kind, async () => {
      const fields = collectFields(form);
      const begin = await postJSON(form.dataset.begin, fields);
      const publicKey = publicKeyOptions(kind, beginOptions(begin));
      const cred = await (kind === 'create' ? navigator.credentials.create({ publicKey }) : navigator.credentials.get({ publicKey }));
      if (!cred) throw new UserError(MSG.notAllowed);
      const result = await postJSON(finishURL(form, begin.ceremony), credentialJSON(cred));
      return handleFinish(form, result, fields);
    });
  }

  // Run step() with the form busy; show its error, if any. step() resolves
  // true when the page is navigating away (then the form stays busy).
  async function withBusy(form, submitter, kind, step) {
    setBusy(form, submitter);
    let navigating = false;
    try {
      navigating = await step();
    } catch (err) {
      showError(form, describeError(err, kind));
    } finally {
      if (!navigating) clearBusy(form);
    }
  }

  document.addEventListener('submit', (evt) => {
    const form = evt.target;
    if (!(form instanceof HTMLFormElement) || !form.matches('[data-ceremony]')) return;
    evt.preventDefault();
    const submitter = evt.submitter || form.querySelector('button:not([type]), button[type="submit"], input[type="submit"]');
    runCeremony(form, submitter);
  });

  // Passkey autofill: a background get() with mediation 'conditional'.
  async function startConditional() {
    const form = document.querySelector('form[data-conditional]');
    const PKC = window.PublicKeyCredential;
    if (!form || !PKC || typeof PKC.isConditionalMediationAvailable !== 'function') return;
    const controller = new AbortController();
    conditionalController = controller; // set early so a submit can cancel us
    let begin, cred;
    try {
      if (!(await PKC.isConditionalMediationAvailable()) || controller.signal.aborted) return;
      begin = await postJSON(form.dataset.begin, {});
      if (controller.signal.aborted) return;
      cred = await navigator.credentials.get({
        publicKey: publicKeyOptions('get', beginOptions(begin)),
        mediation: 'conditional',
        signal: controller.signal,
      });
    } catch (_) {
      return; // aborted, dismissed, unavailable: stay quiet
    } finally {
      if (conditionalController === controller) conditionalController = null;
    }
    if (!cred || controller.signal.aborted || busyForms.has(form)) return;
    // The user picked a passkey: from here on, failures are shown.
    clearMessages(form);
    await withBusy(form, null, 'get', async () =>
      handleFinish(form, await postJSON(finishURL(form, begin.ceremony), credentialJSON(cred)), null));
  }

  // ---- Clipboard / download ----------------------------------------------

  const feedback = new WeakMap(); // button -> { restore, timer } while flashing

  // Copy text (Clipboard API; passkeys need a secure context anyway) and show
  // "Copied" on the button for 2 s. Repeated clicks extend the same flash.
  async function copyWithFeedback(btn, text) {
    let label = 'Copied';
    try { await navigator.clipboard.writeText(text); } catch (_) { label = 'Could not copy'; }
    const prev = feedback.get(btn);
    if (prev) clearTimeout(prev.timer);
    const restore = prev ? prev.restore : swapLabel(btn, label);
    if (prev) swapLabel(btn, label);
    feedback.set(btn, { restore, timer: setTimeout(() => { feedback.delete(btn); restore(); }, 2000) });
  }

  function recoveryCodes(btn) {
    const section = btn.closest('[data-recovery-codes]') || document.querySelector('[data-recovery-codes]');
    const list = section && section.querySelector('ol[data-codes]');
    const codes = list ? Array.from(list.querySelectorAll('li'), (li) => li.textContent.trim()).filter(Boolean) : [];
    return { section, codes };
  }

  function downloadCodes(btn) {
    const { section, codes } = recoveryCodes(btn);
    if (!codes.length) return;
    const user = section.dataset.username;
    const lines = ['Confidant recovery codes' + (user ? ' for ' + user : ''), 'Each code works once.', '', ...codes, ''];
    const url = URL.createObjectURL(new Blob([lines.join('\n')], { type: 'text/plain;charset=utf-8' }));
    const a = Object.assign(document.createElement('a'), { href: url, download: 'confidant-recovery-codes.txt', hidden: true });
    (btn.closest('dialog') || document.body).append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // ---- Click delegation: dialogs, copy, download -------------------------

  function copyTarget(btn) {
    const src = document.getElementById(btn.dataset.copyTarget);
    if (src) copyWithFeedback(btn, src.matches('input, textarea, select') ? src.value : src.textContent.trim());
  }

  // [selector, handler(element, event)]; the first match wins.
  const clickActions = [
    ['[data-open-dialog]', (el, evt) => {
      const dialog = document.getElementById(el.dataset.openDialog);
      if (dialog && typeof dialog.showModal === 'function' && !dialog.open) { evt.preventDefault(); dialog.showModal(); }
    }],
    ['[data-close-dialog]', (el, evt) => {
      const dialog = el.closest('dialog');
      if (dialog) { evt.preventDefault(); dialog.close(); }
    }],
    ['[data-copy-codes]', (el) => {
      const { codes } = recoveryCodes(el);
      if (codes.length) copyWithFeedback(el, codes.join('\n'));
    }],
    ['[data-download-codes]', downloadCodes],
    ['[data-copy-target]', copyTarget],
  ];

  document.addEventListener('click', (evt) => {
    if (!(evt.target instanceof Element)) return;
    for (const [selector, action] of clickActions) {
      const el = evt.target.closest(selector);
      if (el) { action(el, evt); return; }
    }
  });

  // ---- Local time ---------------------------------------------------------

  // The browser's time zone, so the assistant's "today" is the person's.
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (/^[A-Za-z0-9/_+-]{1,64}$/.test(zone || '')) {
      document.cookie = 'confidant_tz=' + zone + '; path=/; SameSite=Strict' + (location.protocol === 'https:' ? '; Secure' : '');
    }
  } catch (_) { /* the server's zone is used */ }
  let timeFormat = null; // stays null without Intl: the server's text is kept
  try { timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }); } catch (_) { /* keep */ }

  function localizeTimes(root) {
    if (!timeFormat || !root || typeof root.querySelectorAll !== 'function') return;
    const els = Array.from(root.querySelectorAll('time[datetime][data-local]'));
    if (root instanceof Element && root.matches('time[datetime][data-local]')) els.push(root);
    for (const el of els) {
      const d = new Date(el.getAttribute('datetime'));
      if (!isNaN(d.getTime())) el.textContent = timeFormat.format(d);
    }
  }

  document.addEventListener('htmx:load', (evt) => localizeTimes(evt.target));
  document.addEventListener('htmx:afterSwap', (evt) => localizeTimes(evt.target));

  // ---- Start --------------------------------------------------------------

  function init() {
    localizeTimes(document);
    startConditional();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();

// Sidebar toggle at phone width: the header button shows and hides the
// conversation list; Escape or a click outside closes it.
(function () {
  'use strict';
  var toggle = document.querySelector('[data-sidebar-toggle]');
  var sidebar = document.getElementById('sidebar');
  if (!toggle || !sidebar) return;
  function setOpen(open) {
    sidebar.classList.toggle('open', open);
    toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
  }
  toggle.addEventListener('click', function () { setOpen(!sidebar.classList.contains('open')); });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') setOpen(false); });
  document.addEventListener('click', function (e) {
    if (sidebar.classList.contains('open') && !sidebar.contains(e.target) && !toggle.contains(e.target)) setOpen(false);
  });
})();

// Chat: the composer sends on Enter (Shift+Enter for a new line), running
// answers stream in over server-sent events, and Escape or the Stop button
// stops them. Everything also works as plain forms without this script,
// except live streaming (reload to see the answer).
(function () {
  'use strict';
  var composer = document.querySelector('form[data-composer]');
  var input = composer && composer.querySelector('textarea[name=content]');
  var sendButton = composer && composer.querySelector('[data-send]');
  var stopButton = composer && composer.querySelector('[data-stop-button]');
  var csrf = function () {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute('content') : '';
  };
  var streaming = {}; // stop URL -> EventSource

  function autosize() {
    if (!input) return;
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 240) + 'px';
  }

  function scrollToEnd() {
    var thread = document.getElementById('thread');
    if (thread) window.scrollTo({ top: document.body.scrollHeight });
  }

  function setStreaming(on) {
    if (sendButton) sendButton.hidden = on;
    if (stopButton) stopButton.hidden = !on;
  }

  function stopAll() {
    Object.keys(streaming).forEach(function (url) {
      fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf(), 'Accept': 'application/json' } });
    });
  }

  function attach(turn) {
    var url = turn.getAttribute('data-stream');
    var stopURL = turn.getAttribute('data-stop');
    var body = turn.querySelector('[data-body]');
    var notice = turn.querySelector('[data-notice]');
    var raw = turn.querySelector('[data-raw]');
    var es = new EventSource(url);
    streaming[stopURL] = es;
    setStreaming(true);
    function apply(ev, final) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      body.innerHTML = data.html; // sanitized on the server
      turn.setAttribute('data-status', data.status);
      if (notice) { notice.textContent = data.notice || ''; notice.hidden = !data.notice; }
      if (final) {
        es.close();
        delete streaming[stopURL];
        turn.classList.remove('turn-streaming');
        turn.removeAttribute('data-stream');
        turn.querySelectorAll('[data-hide-while-streaming]').forEach(function (el) { el.hidden = false; });
        if (Object.keys(streaming).length === 0) setStreaming(false);
        if (raw && typeof data.text === 'string') raw.value = data.text;
        var mems = turn.querySelector('[data-memories]');
        if (mems && data.memories) mems.outerHTML = data.memories; // rendered and escaped on the server
        var srcs = turn.querySelector('[data-sources]');
        if (srcs && data.sources) srcs.outerHTML = data.sources; // rendered and escaped on the server
        var tools = turn.querySelector('[data-tools]');
        if (tools && data.tools) {
          tools.outerHTML = data.tools; // rendered and escaped on the server
          var fresh = turn.querySelector('[data-tools]');
          if (fresh && window.htmx) window.htmx.process(fresh);
        }
        // The answer's verification badge loads now that it has ended.
        var slot = turn.querySelector('[data-badge-slot]');
        if (slot && window.htmx) window.htmx.trigger(slot, 'answer-ended');
      }
      scrollToEnd();
    }
    es.addEventListener('error', function () {
      // EventSource retries by itself after a dropped connection; CLOSED
      // means the server refused (gone, or not ours): stop waiting.
      if (es.readyState !== EventSource.CLOSED) return;
      delete streaming[stopURL];
      turn.classList.remove('turn-streaming');
      if (notice) { notice.textContent = 'Lost the connection to this answer. Reload the page to see it.'; notice.hidden = false; }
      if (Object.keys(streaming).length === 0) setStreaming(false);
    });
    es.addEventListener('update', function (ev) { apply(ev, false); });
    es.addEventListener('end', function (ev) { apply(ev, true); });
  }

  document.querySelectorAll('[data-stream]').forEach(attach);
  scrollToEnd();

  if (input) {
    input.addEventListener('input', autosize);
    input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        if (input.value.trim() !== '' && (!sendButton || !sendButton.hidden)) composer.requestSubmit();
      }
    });
    if (!document.querySelector('[data-stream]')) input.focus();
  }
  if (composer) {
    composer.addEventListener('submit', function () {
      if (sendButton) { sendButton.disabled = true; sendButton.textContent = 'Sending…'; }
    });
  }
  if (stopButton) stopButton.addEventListener('click', stopAll);
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && Object.keys(streaming).length > 0 && !document.querySelector('dialog[open]')) stopAll();
  });

  // Copy buttons on code blocks rendered from markdown.
  document.addEventListener('click', function (e) {
    var btn = e.target.closest && e.target.closest('[data-copy-code]');
    if (!btn) return;
    var block = btn.closest('.code-block');
    var code = block && block.querySelector('pre code');
    if (!code || !navigator.clipboard) return;
    navigator.clipboard.writeText(code.innerText).then(function () {
      var old = btn.textContent;
      btn.textContent = 'Copied';
      setTimeout(function () { btn.textContent = old; }, 2000);
    });
  });
})();
