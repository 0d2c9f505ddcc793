// Live progress on the exports page: polls each unfinished export until it is done or failed.
(function () {
  "use strict";
  var POLL_MS = 1500;
  var FINISHED = { done: true, failed: true, expired: true };

  function render(row, data) {
    row.dataset.exportStatus = data.status;
    var status = row.querySelector(".export-status");
    // The table carries the status names and "Download" in the page's language.
    var words = JSON.parse(row.closest("table").dataset.exportWords);
    status.textContent = (words[data.status] || data.status) + (data.status === "failed" && data.error ? ": " + data.error : "");
    var progress = row.querySelector(".export-progress");
    progress.value = data.progress;
    progress.textContent = data.progress + "%";
    var cell = row.querySelector(".export-download");
    if (data.download_url && !cell.querySelector("a")) {
      var link = document.createElement("a");
      link.href = data.download_url;
      link.textContent = words.download;
      cell.appendChild(link);
    }
  }

  function poll(row) {
    fetch(row.dataset.exportStatusUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        render(row, data);
        if (!FINISHED[data.status]) { window.setTimeout(poll, POLL_MS, row); }
      })
      .catch(function () { window.setTimeout(poll, POLL_MS * 4, row); });
  }

  document.querySelectorAll("tr.export").forEach(function (row) {
    if (!FINISHED[row.dataset.exportStatus]) { poll(row); }
  });
})();
