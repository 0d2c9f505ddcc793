// The post editor's extras: live preview, word count, shortcuts and autosave.
// Without this module the page is the plain form, and saving works the same.
//
// Autosave keeps two copies. The browser's localStorage gets every change within a second, for
// any post, even offline or with an expired session; it is offered back when the editor opens
// with different text. The server gets a draft every few seconds of quiet, but only for new
// posts and drafts: a published post's half-typed changes must not go live, so those wait for
// Save (localStorage still holds them).

const PREVIEW_DELAY_MS = 600;
const LOCAL_DELAY_MS = 1000;
const SERVER_DELAY_MS = 10000;
const STORE_PREFIX = "folio:draft:";

const form = document.querySelector("form[data-editor]");
if (form) {
  start(form);
}

function start(form) {
  const body = form.elements.namedItem("body");
  const title = form.elements.namedItem("title");
  const tags = form.elements.namedItem("tags");
  const csrf = form.elements.namedItem("csrf_token").value;
  const preview = document.getElementById("editor-preview");
  const previewBody = preview.querySelector(".post-body");
  const stats = document.getElementById("editor-stats");
  const state = document.getElementById("editor-state");
  let storeKey = STORE_PREFIX + new URL(form.action).pathname;
  let autosaveUrl = form.dataset.autosaveUrl || "";
  let dirty = false;

  for (const element of document.querySelectorAll("[data-editor-only]")) {
    element.hidden = false;
  }
  form.classList.add("editor-live");

  function say(message) {
    state.textContent = message;
  }

  // The page's wording (templates/editor/_messages.html), with {name} filled from `values`.
  const plurals = new Intl.PluralRules(document.documentElement.lang || "en");
  function text(name, values = {}) {
    return form.dataset[name].replace(/\{(\w+)\}/g, (_, key) => values[key]);
  }

  function countWords(text) {
    const words = text.match(/[\p{L}\p{N}_][\p{L}\p{N}_'’-]*/gu);
    return words ? words.length : 0;
  }

  function showStats(words, minutes) {
    const read = minutes ? ` · ${text("msgReading", { minutes })}` : "";
    const count = plurals.select(words) === "one" ? "msgWordOne" : "msgWordOther";
    stats.textContent = text(count, { n: words }) + read;
  }

  async function post(url, fields) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      body: fields,
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(data.detail || text("msgServerAnswered", { status: response.status }));
    }
    return data;
  }

  // --- preview and word count ---------------------------------------------------------------
  let previewTimer = 0;
  let previewSeq = 0;
  async function refreshPreview() {
    const seq = ++previewSeq;
    const fields = new FormData();
    fields.append("body", body.value);
    try {
      const data = await post(preview.dataset.url, fields);
      if (seq !== previewSeq) return; // a newer request is on its way
      // Rendered and sanitised by the server, by the function that renders saved posts.
      previewBody.innerHTML = data.html;
      showStats(data.words, data.reading_minutes);
      preview.removeAttribute("aria-busy");
    } catch (error) {
      if (seq === previewSeq) say(text("msgPreviewUnavailable", { error: error.message }));
    }
  }

  // --- autosave -------------------------------------------------------------------------------
  function fieldsOf() {
    return { title: title.value, body: body.value, tags: tags.value };
  }

  function saveLocally() {
    try {
      localStorage.setItem(storeKey, JSON.stringify({ ...fieldsOf(), savedAt: Date.now() }));
    } catch {
      // Storage full or disabled: the server copy (for drafts) and Save still work.
    }
  }

  function offerRestore() {
    let stored = null;
    try {
      stored = JSON.parse(localStorage.getItem(storeKey) || "null");
    } catch {
      return;
    }
    const now = fieldsOf();
    if (!stored || (stored.body === now.body && stored.title === now.title)) return;
    const notice = document.getElementById("editor-restore");
    notice.querySelector(".restore-time").textContent = new Date(stored.savedAt).toLocaleString();
    notice.hidden = false;
    notice.querySelector("[data-restore]").addEventListener("click", () => {
      title.value = stored.title;
      body.value = stored.body;
      tags.value = stored.tags;
      notice.hidden = true;
      changed();
    });
    notice.querySelector("[data-discard]").addEventListener("click", () => {
      localStorage.removeItem(storeKey);
      notice.hidden = true;
    });
  }

  let serverTimer = 0;
  async function saveToServer() {
    if (!autosaveUrl || !dirty || !title.value.trim() || !body.value.trim()) return;
    dirty = false;
    const fields = new FormData();
    for (const [name, value] of Object.entries(fieldsOf())) fields.append(name, value);
    try {
      const data = await post(autosaveUrl, fields);
      autosaveUrl = data.autosave_url;
      if (new URL(form.action).pathname !== data.edit_url) {
        // The draft exists now (or its address followed the title): Save updates it.
        localStorage.removeItem(storeKey);
        form.action = data.edit_url;
        storeKey = STORE_PREFIX + data.edit_url;
        history.replaceState(null, "", data.edit_url);
        saveLocally();
      }
      say(text("msgDraftSaved", { time: new Date(data.saved_at).toLocaleTimeString() }));
    } catch (error) {
      dirty = true;
      say(text("msgNotSaved", { error: error.message }));
    }
  }

  let localTimer = 0;
  function changed() {
    dirty = true;
    showStats(countWords(body.value), 0);
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, PREVIEW_DELAY_MS);
    clearTimeout(localTimer);
    localTimer = setTimeout(saveLocally, LOCAL_DELAY_MS);
    clearTimeout(serverTimer);
    serverTimer = setTimeout(saveToServer, SERVER_DELAY_MS);
  }

  // --- shortcuts ------------------------------------------------------------------------------
  function wrap(before, after, placeholder) {
    const start = body.selectionStart;
    const end = body.selectionEnd;
    const selected = body.value.slice(start, end) || placeholder;
    body.setRangeText(before + selected + after, start, end, "end");
    body.setSelectionRange(start + before.length, start + before.length + selected.length);
    changed();
  }

  function link() {
    const start = body.selectionStart;
    const text = body.value.slice(start, body.selectionEnd) || text("msgLinkText");
    body.setRangeText(`[${text}](https://)`, start, body.selectionEnd, "end");
    // Select the address, ready to be typed over.
    const urlStart = start + text.length + 3;
    body.setSelectionRange(urlStart, urlStart + "https://".length);
    changed();
  }

  form.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === "s") {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.target === body && key === "b") {
      event.preventDefault();
      wrap("**", "**", text("msgBoldText"));
    } else if (event.target === body && key === "i") {
      event.preventDefault();
      wrap("_", "_", text("msgItalicText"));
    } else if (event.target === body && key === "k") {
      event.preventDefault();
      link();
    }
  });

  for (const field of [title, body, tags]) {
    field.addEventListener("input", changed);
  }
  form.addEventListener("submit", () => {
    clearTimeout(serverTimer);
    localStorage.removeItem(storeKey);
  });

  offerRestore();
  showStats(countWords(body.value), 0);
  if (body.value.trim()) refreshPreview();
}
