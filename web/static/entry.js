// The data-entry grid: as a value is typed, the server measures it (POST .../preview) and the row
// shows the capaian, predikat and flags it gives. The server stays the authority: nothing is saved
// here, and without this script the page still saves and sends. Leaving the page with typed,
// unsaved values asks first.
(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  if (!form) { return; }
  var url = form.getAttribute("data-preview");
  var token = form.querySelector('input[name="csrf_token"]').value;
  var dirty = false;
  var lang = document.documentElement.lang || "id";
  var roman = {1: "I", 2: "II", 3: "III", 4: "IV"};

  function fmt(text, places) {
    if (text === null || text === undefined || text === "") { return "-"; }
    var n = Number(text);
    if (!isFinite(n)) { return String(text); }
    var opts = places === undefined ? {maximumFractionDigits: 10} : {minimumFractionDigits: places, maximumFractionDigits: places};
    return n.toLocaleString(lang === "id" ? "id-ID" : "en-US", opts);
  }
  function fmtValue(text) {
    if (!text) { return "-"; }
    return String(text).split("/").map(function (part) { return fmt(part); }).join("/");
  }
  function line(parts, cls) {
    var div = document.createElement("div");
    if (cls) { div.className = cls; }
    parts.forEach(function (p) {
      if (typeof p === "string") { div.appendChild(document.createTextNode(p)); return; }
      var el = document.createElement(p.tag || "strong");
      if (p.cls) { el.className = p.cls; }
      el.textContent = p.text;
      div.appendChild(el);
    });
    return div;
  }
  function render(row, data) {
    var box = row.querySelector(".computed");
    var labels = JSON.parse(row.closest("form").getAttribute("data-labels") || "{}");
    box.textContent = "";
    if (data.error) {
      box.appendChild(line([data.error], "text-danger preview-error"));
      return;
    }
    var tw = "TW " + roman[Number(row.getAttribute("data-quarter"))];
    var kind = row.getAttribute("data-kind");
    var agg = row.getAttribute("data-aggregation");
    if (kind === "ratio" && data.quarter_value) {
      box.appendChild(line([labels.quarter + ": ", {text: fmt(data.quarter_percent, 2) + "%"}, " (" + fmtValue(data.quarter_value) + ")"]));
    }
    if (data.value_s_d && agg !== "cumulative" && agg !== "last") {
      var shown = data.value_s_d_percent ? fmtValue(data.value_s_d) + " = " + fmt(data.value_s_d_percent, 2) + "%" : fmtValue(data.value_s_d);
      box.appendChild(line([labels.to_date + ": ", {text: shown, cls: "value-s-d"}, agg === "sum" ? " (" + labels.summed + ")" : ""]));
    }
    if (data.capaian) {
      box.appendChild(line([labels.capaian + ": ", {text: fmt(data.capaian, 2) + "%", cls: "capaian"},
        data.predikat ? " · " + data.predikat : "", " (" + labels.against + " " + fmtValue(data.target) + ")"]));
    }
    (data.flags || []).forEach(function (f) { box.appendChild(line(["⚑ " + f], "text-danger flag")); });
    var help = row.querySelector(".note-help");
    if (help && data.needs) {
      help.textContent = "";
      help.appendChild(line([{text: data.needs === "explanation" ? labels.needs_explanation : labels.needs_reason, cls: "text-danger"}]));
    }
    void tw;
  }
  var timers = {};
  function preview(row) {
    var code = row.getAttribute("data-code");
    var body = new FormData();
    body.append("csrf_token", token);
    body.append("code", code);
    var filled = false;
    ["value", "numerator", "denominator"].forEach(function (name) {
      var input = row.querySelector('[name="' + name + "-" + code + '"]');
      if (input) { body.append(name + "-" + code, input.value); if (input.value.trim()) { filled = true; } }
    });
    var pending = row.querySelector('[name="pending-' + code + '"]');
    if (pending && pending.checked) { body.append("pending-" + code, "on"); filled = true; }
    if (!filled) { row.querySelector(".computed").textContent = ""; return; }
    fetch(url, {method: "POST", body: body, credentials: "same-origin", headers: {"X-CSRFToken": token}})
      .then(function (r) { return r.json(); })
      .then(function (data) { render(row, data); })
      .catch(function () { /* the server measures again on save */ });
  }
  Array.prototype.forEach.call(form.querySelectorAll(".entry-row"), function (row) {
    row.addEventListener("input", function (ev) {
      dirty = true;
      if (!ev.target.classList.contains("entry-input")) { return; }
      var code = row.getAttribute("data-code");
      clearTimeout(timers[code]);
      timers[code] = setTimeout(function () { preview(row); }, 250);
    });
    row.addEventListener("change", function () { dirty = true; });
  });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (ev) {
    if (dirty) { ev.preventDefault(); ev.returnValue = ""; }
  });
})();
