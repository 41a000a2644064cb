// The review desk (main/review.html). The page works without this file; with it:
// - typing a row note ticks the row's "Kembalikan" box (a note on an unticked row is refused);
// - "Hanya baris bertanda" hides and shows the unflagged rows at once, keeping what is typed.
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  if (!form) return;
  form.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.name || field.name.indexOf("rownote-") !== 0 || !field.value.trim()) return;
    var box = document.getElementById("row-" + field.name.slice("rownote-".length));
    if (box && !box.checked) box.checked = true;
  });
  var filter = document.getElementById("flagged-filter");
  if (!filter) return;
  filter.addEventListener("click", function (event) {
    event.preventDefault();
    var rows = document.querySelectorAll('#rekap-table tbody tr[data-flagged="0"]');
    var hide = filter.textContent.trim() === filter.dataset.on;
    rows.forEach(function (row) { row.hidden = hide; });
    filter.textContent = hide ? filter.dataset.off : filter.dataset.on;
    var url = new URL(window.location.href);
    if (hide) url.searchParams.set("flagged", "1"); else url.searchParams.delete("flagged");
    window.history.replaceState(null, "", url.toString());
  });
})();
