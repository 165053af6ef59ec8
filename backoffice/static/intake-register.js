// The service-center form: each field is checked by the server's own rules as the operator types, so the
// messages here are exactly the ones the submit would give. No inline script: the page's CSP forbids it.
(function () {
  "use strict";
  var form = document.getElementById("register-form");
  if (!form) { return; }
  var url = form.getAttribute("data-validate-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  var timers = {};

  function show(field, errors, warnings) {
    var input = form.querySelector("[name=" + field + "]");
    var box = document.getElementById("e-" + field);
    var warn = form.querySelector("[data-warning-for=" + field + "]");
    if (!input || !box) { return; }
    box.textContent = errors.join(" ");
    input.classList.toggle("is-invalid", errors.length > 0);
    input.classList.toggle("is-valid", errors.length === 0 && input.value.trim() !== "");
    input.setAttribute("aria-invalid", errors.length > 0 ? "true" : "false");
    if (warn) { warn.textContent = warnings.join(" "); }
  }

  function check(input) {
    var body = new URLSearchParams();
    body.set("field", input.name);
    body.set("value", input.value);
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRFToken": token, "Content-Type": "application/x-www-form-urlencoded"},
      body: body.toString()
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data) { show(data.field, data.errors, data.warnings); }
    }).catch(function () { /* the submit checks again */ });
  }

  form.querySelectorAll("[data-live]").forEach(function (input) {
    var handler = function () {
      clearTimeout(timers[input.name]);
      timers[input.name] = setTimeout(function () { check(input); }, 300);
    };
    input.addEventListener("input", handler);
    input.addEventListener("change", handler);
    input.addEventListener("blur", function () { check(input); });
  });
})();
