// Ticks the password rules off as the customer types. The server checks every rule again; this only helps.
(function () {
  "use strict";
  var input = document.querySelector("input[data-password]");
  var box = document.getElementById("password-feedback");
  if (!input || !box) { return; }
  var rules = box.querySelectorAll("li[data-rule]");
  var strength = document.getElementById("password-strength");
  var meter = document.getElementById("password-meter");
  var common = null;

  function valueOf(attr, fieldAttr) {
    var fieldId = input.getAttribute(fieldAttr);
    if (fieldId) {
      var field = document.getElementById(fieldId);
      return field ? field.value : "";
    }
    return input.getAttribute(attr) || "";
  }

  function fold(text) { return text.toLowerCase().trim().split(/\s+/).join(" "); }

  function loadCommon() {
    if (common !== null) { return; }
    common = [];
    var request = new XMLHttpRequest();
    request.open("GET", box.getAttribute("data-common-url"));
    request.onload = function () {
      if (request.status === 200) {
        try { common = JSON.parse(request.responseText); } catch (e) { common = []; }
        update();
      }
    };
    request.send();
  }

  function score(password) {
    // Rough strength: length and variety of character classes; enough to steer, not to judge.
    var classes = 0;
    [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].forEach(function (re) { if (re.test(password)) { classes += 1; } });
    var points = 0;
    if (password.length >= 12) { points += 1; }
    if (password.length >= 16) { points += 1; }
    if (password.length >= 20) { points += 1; }
    if (classes >= 3) { points += 1; }
    return Math.min(points, 4);
  }

  function mark(rule, ok, empty) {
    var item = box.querySelector('li[data-rule="' + rule + '"]');
    if (!item) { return; }
    var state = item.querySelector(".rule-state");
    if (empty) {
      item.removeAttribute("data-state");
      if (state) { state.textContent = ""; }
      return;
    }
    item.setAttribute("data-state", ok ? "ok" : "bad");
    if (state) { state.textContent = "(" + item.getAttribute(ok ? "data-ok" : "data-not-ok") + ")"; }
  }

  function update() {
    var password = input.value;
    var empty = password.length === 0;
    var folded = fold(password);
    var login = fold(valueOf("data-login", "data-login-field"));
    var identifier = valueOf("data-identifier", "data-identifier-field").replace(/\D/g, "");
    mark("length", password.length >= 12, empty);
    mark("common", !common || common.indexOf(folded) === -1, empty);
    mark("login", !login || folded !== login, empty);
    mark("identifier", !identifier || folded.replace(/[\s-]/g, "") !== identifier, empty);
    if (empty) {
      strength.textContent = "";
      meter.hidden = true;
      return;
    }
    var points = score(password);
    var failed = box.querySelectorAll('li[data-state="bad"]').length > 0;
    if (failed) { points = 0; }
    var names = ["data-weak", "data-weak", "data-fair", "data-good", "data-strong"];
    strength.textContent = strength.getAttribute(names[points]);
    meter.value = points;
    meter.hidden = false;
  }

  input.addEventListener("input", function () { loadCommon(); update(); });
  ["data-login-field", "data-identifier-field"].forEach(function (attr) {
    var id = input.getAttribute(attr);
    var field = id && document.getElementById(id);
    if (field) { field.addEventListener("input", update); }
  });
  if (rules.length) { update(); }
})();
