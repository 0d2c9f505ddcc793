// The editor's "Upload and add to the text" without leaving the page: the image is uploaded in
// the background and its Markdown goes in at the cursor. Without this script the form does the
// same on the server (the Markdown then goes at the end of the text).
(function () {
  "use strict";
  var form = document.querySelector("form[data-image-upload]");
  if (!form) {
    return;
  }
  var button = form.querySelector("[name=upload]");
  var input = form.querySelector("input[name=image]");
  var alt = form.querySelector("input[name=image_alt]");
  var body = form.querySelector("textarea[name=body]");
  var status = document.createElement("p");
  status.className = "hint";
  status.setAttribute("role", "status");
  button.insertAdjacentElement("afterend", status);

  // The page's wording (templates/editor/_messages.html), with {status} filled in.
  function text(name, status) {
    return form.dataset[name].replace("{status}", status);
  }

  function insertAtCursor(area, text) {
    var start = area.selectionStart;
    var before = area.value.slice(0, start);
    var gap = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    area.setRangeText(gap + text + "\n\n", start, area.selectionEnd, "end");
    area.focus();
  }

  function failure(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("json") === -1) {
      return Promise.resolve(text("msgUploadFailedStatus", response.status));
    }
    return response.json().then(function (problem) {
      return problem.detail || text("msgUploadFailed");
    });
  }

  button.addEventListener("click", function (event) {
    if (!input.files.length) {
      return; // the server says what is missing
    }
    event.preventDefault();
    var data = new FormData();
    data.append("csrf_token", form.querySelector("[name=csrf_token]").value);
    data.append("image", input.files[0]);
    data.append("alt", alt.value);
    button.disabled = true;
    status.textContent = text("msgUploading");
    fetch(form.dataset.imageUpload, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          return failure(response).then(function (message) {
            throw new Error(message);
          });
        }
        return response.json();
      })
      .then(function (answer) {
        insertAtCursor(body, answer.markdown);
        input.value = "";
        alt.value = "";
        status.textContent = text("msgImageInserted");
      })
      .catch(function (error) {
        status.textContent = error.message;
      })
      .finally(function () {
        button.disabled = false;
      });
  });
})();
