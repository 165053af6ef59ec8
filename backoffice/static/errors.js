// The error summary (templates/_errors.html): it takes the focus when the page loads, so a screen reader reads
// every problem first, and each of its links puts the focus in the field it names (a bare fragment link would
// only scroll there). No inline script: the pages' CSP forbids it.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) { return; }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }
    event.preventDefault();
    var label = document.querySelector("label[for='" + field.id + "']");
    (label || field).scrollIntoView();
    field.focus({preventScroll: true});
  });
})();
