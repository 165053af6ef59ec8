// Small conveniences only: every action works without this file (plain POST forms checked on the server).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("action-form")) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    // One click, one request: a double click must not fire an action twice.
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
  function syncCorrections(form) {
    var box = form.querySelector(".corrections");
    var checked = form.querySelector("input[name=outcome]:checked");
    if (box) box.hidden = !(checked && checked.value === "corrected");
  }
  document.querySelectorAll("form.call-form").forEach(function (form) {
    syncCorrections(form);
    form.addEventListener("change", function () { syncCorrections(form); });
  });
})();
