// Sinkron web app: a little vanilla JavaScript, none of it needed for any action.
// 1. The case-number field is checked as you type (the server checks it again on submit).
// 2. Open pages poll for new operations brought by sync and refresh the parts marked
//    data-live, never a form, so nothing being typed is lost.
(function () {
  "use strict";
  function checkCase(input) {
    var hint = document.getElementById(input.id + "-hint");
    var form = input.form;
    var value = input.value.trim();
    if (!hint) return;
    if (!hint.dataset.base) hint.dataset.base = hint.textContent;
    if (value === "") { hint.textContent = hint.dataset.base; hint.className = "hint"; input.setCustomValidity(""); return; }
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/check/case?value=" + encodeURIComponent(value));
    xhr.onload = function () {
      if (input.value.trim() !== value) return;
      var answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (e) { return; }
      if (answer.ok) {
        hint.textContent = form.getAttribute("data-ok"); hint.className = "hint good"; input.setCustomValidity("");
      } else {
        hint.textContent = answer.message + (answer.hint ? " — " + answer.hint : ""); hint.className = "hint bad";
        input.setCustomValidity(answer.message);
      }
    };
    xhr.send();
  }
  var timer = null;
  document.addEventListener("input", function (e) {
    var t = e.target;
    if (t && t.getAttribute && t.getAttribute("data-check") === "case") {
      clearTimeout(timer);
      timer = setTimeout(function () { checkCase(t); }, 250);
    }
  });
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t && t.hasAttribute && t.hasAttribute("data-print")) { e.preventDefault(); window.print(); }
  });

  var body = document.body;
  var mark = body.getAttribute("data-mark");
  var seconds = parseInt(body.getAttribute("data-poll") || "5", 10);
  var polls = 0;
  function refresh() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", window.location.href);
    xhr.onload = function () {
      if (xhr.status !== 200) return;
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var parts = document.querySelectorAll("[data-live][id]");
      for (var i = 0; i < parts.length; i++) {
        var fresh = doc.getElementById(parts[i].id);
        if (fresh && !parts[i].contains(document.activeElement)) parts[i].replaceWith(document.importNode(fresh, true));
      }
      var note = document.getElementById("live-note");
      if (note) note.hidden = false;
    };
    xhr.send();
  }
  function poll() {
    // Bounded: a page left open polls for at most a working day, then a reload starts it again.
    if (++polls > 8 * 3600 / seconds) return;
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/live");
    xhr.onload = function () {
      if (xhr.status === 200 && xhr.responseText !== mark) { mark = xhr.responseText; refresh(); }
      setTimeout(poll, seconds * 1000);
    };
    xhr.onerror = function () { setTimeout(poll, seconds * 3000); };
    xhr.send();
  }
  if (mark !== null && document.querySelector("[data-live]")) setTimeout(poll, seconds * 1000);
})();
