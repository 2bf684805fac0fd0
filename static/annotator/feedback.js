// Every refused or failed request says why, in the status region that base.html keeps fixed in
// the viewport (#status, an aria-live region), whatever page the user is on and however far down
// they have scrolled. The reason is the server's own text where it gave one (the X-Reason header,
// percent-encoded; see annotator/middleware.py), else a plain description of the status code.
(function () {
  "use strict";

  const GENERIC = {
    400: "Not done: the page shows what to fix.",
    401: "Your session has ended: log in again, then repeat this.",
    403: "You may not do this; nothing was changed.",
    404: "This no longer exists, or you may not see it.",
    409: "Someone else changed this meanwhile; nothing was changed. The page shows it as it is now.",
    413: "This is too large for the server to accept.",
    422: "This change does not fit here; nothing was changed.",
    429: "Too many requests: wait a moment and try again.",
  };
  const LOST =
    "No answer from the server (is the connection lost?). This may not have been saved: " +
    "reload the page to check.";

  function show(text, warn) {
    const box = document.getElementById("status");
    if (!box) return;
    box.textContent = text;
    box.classList.toggle("warn", Boolean(warn));
  }

  function reason(xhr) {
    const header = xhr.getResponseHeader("X-Reason");
    if (header) {
      try {
        return decodeURIComponent(header);
      } catch (error) {
        return header;
      }
    }
    if (xhr.status >= 500) {
      return "The server failed (error " + xhr.status + "); this was not done. Try again in a moment.";
    }
    return GENERIC[xhr.status] || "The server refused this (error " + xhr.status + ").";
  }

  function failed(event) {
    const xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status >= 400) show(reason(xhr), true);
  }

  // beforeOnLoad fires while the element that sent the request is still in the page (a 409
  // swaps the sentence, and events of a removed element never reach the body).
  document.body.addEventListener("htmx:beforeOnLoad", failed);
  document.body.addEventListener("htmx:responseError", failed);
  document.body.addEventListener("htmx:sendError", () => show(LOST, true));
  document.body.addEventListener("htmx:timeout", () => show(LOST, true));

  // A message stays until the next one or until clicked away.
  document.addEventListener("click", (event) => {
    if (event.target.closest("#status")) show("", false);
  });

  // For scripts that use fetch rather than htmx (review.js).
  window.annotatorFeedback = {
    show: show,
    failed: (response) => show(reason({ status: response.status, getResponseHeader: (name) => response.headers.get(name) }), true),
    lost: () => show(LOST, true),
  };
})();
