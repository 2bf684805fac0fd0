// Keyboard and mouse selection for the review page. Every edit is one htmx request whose
// response re-renders the sentence (out of band, by its id); this file only keeps track of
// which sentence and tokens are selected and turns keys into requests.
(function () {
  "use strict";

  const root = document.getElementById("sentences");
  if (!root) return;
  const help = document.getElementById("help");
  const status = () => document.getElementById("status");

  const keys = {};
  document.querySelectorAll(".palette [data-label]").forEach((button) => {
    if (button.dataset.key) keys[button.dataset.key] = button.dataset.label;
  });

  let current = null; // the selected sentence (article)
  let anchor = 0; // selection: tokens anchor..head, in either order
  let head = 0;
  let dragging = false;

  const articles = () => Array.from(root.querySelectorAll("article.sentence"));
  const tokens = (article) => Array.from(article.querySelectorAll(".token"));
  const range = () => [Math.min(anchor, head), Math.max(anchor, head) + 1];

  function say(text) {
    if (window.annotatorFeedback) return window.annotatorFeedback.show(text, false);
    const box = status();
    if (box) box.textContent = text;
  }

  function paint() {
    root.querySelectorAll(".selected").forEach((el) => el.classList.remove("selected"));
    root.querySelectorAll("article.current").forEach((el) => el.classList.remove("current"));
    if (!current) return;
    current.classList.add("current");
    const [start, end] = range();
    tokens(current).slice(start, end).forEach((el) => el.classList.add("selected"));
  }

  function focusSentence(article, index) {
    if (!article) return;
    current = article;
    const count = tokens(article).length;
    anchor = head = Math.max(0, Math.min(index || 0, count - 1));
    paint();
    article.focus({ preventScroll: true });
    article.scrollIntoView({ block: "nearest" });
  }

  // After a response replaces the sentence, find it again by id and keep the selection.
  function refind() {
    if (current && !current.isConnected) {
      current = document.getElementById(current.id);
    }
    paint();
  }
  document.body.addEventListener("htmx:afterSettle", refind);

  function send(url, values) {
    // A read-only layer (the layer rule, as the page states it): say why instead of asking.
    if (root.dataset.readOnly) {
      say(root.dataset.readOnly);
      return Promise.resolve();
    }
    if (!current) {
      say("Select a token first (click it, or press j).");
      return Promise.resolve();
    }
    const data = Object.assign(
      {
        layer: root.dataset.layer,
        sentence: current.dataset.id,
        version: current.dataset.version,
        suggest: root.dataset.suggest || "",
      },
      values
    );
    return htmx.ajax("POST", url, { source: current, swap: "none", values: data }).then(refind);
  }

  function edit(op, extra) {
    const [start, end] = range();
    return send(root.dataset.editUrl, Object.assign({ op: op, start: start, end: end }, extra));
  }

  // A label key with the cursor on one token inside a span relabels that whole span: shrinking
  // the span to the one token would silently drop the rest of it. A new span (or a shorter one)
  // needs a selection of its tokens.
  function relabel(label) {
    const token = current && anchor === head ? tokens(current)[head] : null;
    const span = token ? token.closest(".span") : null;
    if (!span) return edit("label", { label: label });
    const inside = Array.from(span.querySelectorAll(".token"), (el) => Number(el.dataset.i));
    const start = Math.min(...inside);
    const end = Math.max(...inside) + 1;
    return send(root.dataset.editUrl, { op: "label", start: start, end: end, label: label });
  }

  // Suggestions (a model layer's spans, dashed): a / x act on the one under the cursor, A on
  // every one of the sentence at or above the page's threshold.
  function suggestionAt() {
    const token = current ? tokens(current)[head] : null;
    if (!root.dataset.suggest) {
      say("No suggestion layer is shown (choose one under Suggestions).");
      return null;
    }
    if (!token || !token.classList.contains("suggested")) {
      say("No suggestion under the cursor (suggestions have a dashed outline).");
      return null;
    }
    return { start: token.dataset.sStart, end: token.dataset.sEnd };
  }

  function decide(url) {
    const found = suggestionAt();
    if (found) send(url, found);
  }

  function acceptAll() {
    if (!root.dataset.suggest) return say("No suggestion layer is shown (choose one under Suggestions).");
    const box = document.getElementById("suggest-threshold");
    send(root.dataset.acceptUrl, { all: "1", threshold: box ? box.value : "0.8" });
  }

  function step(delta) {
    const list = articles();
    const at = current ? list.indexOf(current) : -1;
    const next = list[Math.max(0, Math.min(list.length - 1, at + delta))];
    focusSentence(next, 0);
  }

  function jumpTo(what) {
    const list = articles();
    const at = current ? list.indexOf(current) : -1;
    const match = (a) => (what === "flagged" ? a.classList.contains("flagged") : !a.classList.contains("reviewed"));
    const local = list.slice(at + 1).find(match);
    if (local) return focusSentence(local, 0);
    const after = current ? current.dataset.position : -1;
    const query = new URLSearchParams({ what: what, after: after, layer: root.dataset.layer || root.dataset.shownLayer });
    fetch(root.dataset.nextUrl + "?" + query, { credentials: "same-origin" }).then((response) => {
      if (!response.ok && window.annotatorFeedback) return window.annotatorFeedback.failed(response);
      if (response.status === 204) return say(what === "flagged" ? "No flagged sentence left." : "Every sentence is reviewed.");
      return response.json().then((found) => {
        const here = document.getElementById("sentence-" + found.id);
        if (here) focusSentence(here, 0);
        else window.location = found.url;
      });
    }, () => window.annotatorFeedback && window.annotatorFeedback.lost());
  }

  function review() {
    if (!current) return;
    const done = current.classList.contains("reviewed");
    send(root.dataset.reviewUrl, { reviewed: done ? "0" : "1" }).then(() => {
      if (!done) jumpTo("unreviewed");
    });
  }

  function history() {
    if (!current) return;
    const url = root.dataset.editUrl.replace(/edit\/$/, "sentences/" + current.dataset.id + "/history/");
    htmx.ajax("GET", url, { target: "#history", swap: "outerHTML" });
  }

  function move(delta, extend) {
    if (!current) return step(0);
    const count = tokens(current).length;
    head = Math.max(0, Math.min(count - 1, head + delta));
    if (!extend) anchor = head;
    paint();
  }

  const commands = {
    ArrowRight: (e) => move(1, e.shiftKey),
    ArrowLeft: (e) => move(-1, e.shiftKey),
    j: () => step(1),
    k: () => step(-1),
    ArrowDown: () => step(1),
    ArrowUp: () => step(-1),
    "0": () => edit("remove"),
    Backspace: () => edit("remove"),
    Delete: () => edit("remove"),
    s: () => edit("split"),
    m: () => edit("merge"),
    r: () => edit("repair-start"),
    R: () => edit("repair-join"),
    n: () => jumpTo("flagged"),
    a: () => decide(root.dataset.acceptUrl),
    x: () => decide(root.dataset.rejectUrl),
    A: () => acceptAll(),
    Enter: () => review(),
    z: () => send(root.dataset.undoUrl, {}),
    Z: () => send(root.dataset.redoUrl, {}),
    h: () => history(),
    f: () => document.getElementById("find").focus(),
    "?": () => help.showModal(),
  };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea, dialog[open]")) return;
    const command = commands[event.key];
    const label = keys[event.key];
    if (!command && !label) return;
    event.preventDefault();
    if (command) command(event);
    else relabel(label);
  });

  root.addEventListener("mousedown", (event) => {
    const token = event.target.closest(".token");
    if (!token) return;
    const article = token.closest("article.sentence");
    const index = Number(token.dataset.i);
    if (event.shiftKey && article === current) {
      head = index;
    } else {
      current = article;
      anchor = head = index;
      dragging = true;
    }
    event.preventDefault(); // no text selection while dragging over tokens
    article.focus({ preventScroll: true });
    paint();
  });
  root.addEventListener("mouseover", (event) => {
    const token = dragging && event.target.closest(".token");
    if (token && token.closest("article.sentence") === current) {
      head = Number(token.dataset.i);
      paint();
    }
  });
  document.addEventListener("mouseup", () => {
    dragging = false;
  });

  document.querySelectorAll(".palette button").forEach((button) => {
    button.addEventListener("click", () => {
      if (button.dataset.label) relabel(button.dataset.label);
      else edit("remove");
    });
  });
  document.querySelectorAll("[data-action=help]").forEach((button) => {
    button.addEventListener("click", () => help.showModal());
  });

  // Sentences scroll clear of the sticky palette (app.css: scroll-margin-top), whose height
  // depends on how many labels wrap onto how many lines.
  const palette = document.querySelector(".palette");
  function measurePalette() {
    if (palette) document.documentElement.style.setProperty("--palette-height", palette.offsetHeight + "px");
  }
  measurePalette();
  if (palette && window.ResizeObserver) new ResizeObserver(measurePalette).observe(palette);

  // Never show this page from the back-forward cache: its tags and versions may be stale (the
  // next key would get a 409). The server sends no-store as well; this covers browsers that
  // keep such pages anyway.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) window.location.reload();
  });

  // Open on the sentence named in the address (from "next flagged" across pages).
  const target = window.location.hash && document.querySelector(window.location.hash);
  if (target && target.matches("article.sentence")) {
    focusSentence(target, 0);
    target.scrollIntoView({ block: "start" });
  }
})();
