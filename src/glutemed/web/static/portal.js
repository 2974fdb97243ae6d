/* The runner portal's forms: nothing is lost when the phone goes offline mid-form.
 *
 * Every change is saved as a draft in localStorage under the form's client_key (made by the server when the
 * form was first shown). A form shown again (reload, back button, after the browser failed to send) gets the
 * draft back with the same key, so sending it again stores one entry. When HTMX cannot reach the server
 * (htmx:sendError) or the server fails (htmx:responseError) the form keeps its values and says plainly that
 * it was not sent. A stored entry clears its draft.
 */
(function () {
  "use strict";
  var PREFIX = "glutemed-draft:";

  // the phone's time zone, so "today" is the runner's day, not the server's (read by routers/portal.py)
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
      document.cookie = "glutemed_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) {
    /* no Intl: the server uses UTC */
  }

  if (window.htmx) {
    // swap the form back with its messages on 422 (a value to fix); other errors keep the form as it is
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true, error: false },
      { code: "409", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
      { code: "...", swap: false }
    ];
  }

  function store() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function keyOf(form) {
    var el = form.elements.namedItem("client_key");
    return el && el.value ? el.value : null;
  }

  function values(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || el.type === "hidden" || el.type === "submit") return;
      out[el.name] = el.value;
    });
    return out;
  }

  function save(form) {
    var ls = store(), key = keyOf(form);
    if (!ls || !key) return;
    ls.setItem(PREFIX + key, JSON.stringify({ form: form.dataset.draft, values: values(form) }));
    ls.setItem(PREFIX + "open:" + form.dataset.draft, key);
  }

  function clear(form) {
    var ls = store(), key = keyOf(form);
    if (!ls) return;
    if (key) ls.removeItem(PREFIX + key);
    ls.removeItem(PREFIX + "open:" + form.dataset.draft);
  }

  function say(form, text, failed) {
    var box = form.querySelector(".send-status");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    box.classList.toggle("failed", !!failed);
  }

  function restore(form) {
    var ls = store();
    if (!ls || !form.dataset.draft) return;
    var key = ls.getItem(PREFIX + "open:" + form.dataset.draft);
    if (!key || form.dataset.fresh !== "1") return;
    var raw = ls.getItem(PREFIX + key);
    if (!raw) return;
    var draft;
    try { draft = JSON.parse(raw); } catch (e) { return; }
    form.elements.namedItem("client_key").value = key;
    Object.keys(draft.values || {}).forEach(function (name) {
      var el = form.elements.namedItem(name);
      if (el && el.type !== "hidden") el.value = draft.values[name];
    });
    say(form, "These are the answers you had not sent yet. Check them and press Send.", false);
  }

  function formOf(event) {
    var el = event.target;
    return el && el.closest ? el.closest("form[data-draft]") : null;
  }

  document.addEventListener("input", function (event) {
    var form = formOf(event);
    if (form) save(form);
  });
  document.addEventListener("submit", function (event) {
    var form = formOf(event);
    if (form) save(form);
  }, true);
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = formOf(event);
    if (!form) return;
    save(form);
    form.classList.add("sending");
    say(form, "Sending…", false);
  });
  document.addEventListener("htmx:sendError", function (event) {
    var form = formOf(event);
    if (!form) return;
    form.classList.remove("sending");
    say(form, "Not sent: there is no connection. Your answers are kept on this phone. " +
      "Press Send again when you have signal.", true);
  });
  document.addEventListener("htmx:responseError", function (event) {
    var form = formOf(event);
    if (!form) return;
    form.classList.remove("sending");
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : "";
    say(form, "Not sent: the clinic's server answered with an error (" + status + "). " +
      "Your answers are kept on this phone; try again in a moment.", true);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = formOf(event);
    var xhr = event.detail && event.detail.xhr;
    if (form && xhr && xhr.status >= 200 && xhr.status < 300 && xhr.getResponseHeader("HX-Redirect")) {
      clear(form);
      say(form, "Sent.", false);
    }
  });

  function forgetStored(el) {
    // the page of a stored entry: its draft (sent without HTMX) is done
    var ls = store(), key = el.dataset.storedKey;
    if (!ls || !key) return;
    ls.removeItem(PREFIX + key);
    for (var i = ls.length - 1; i >= 0; i--) {
      var name = ls.key(i);
      if (name && name.indexOf(PREFIX + "open:") === 0 && ls.getItem(name) === key) ls.removeItem(name);
    }
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-stored-key]"), forgetStored);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]"), restore);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
