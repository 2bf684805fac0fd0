// Uploads show how much of the file is sent (a 14 MB file takes seconds), and the form's button
// stays disabled until the server answers (hx-disabled-elt), so nothing is sent twice.
// Forms opt in with data-upload and hold a <progress class="upload-progress"> and a
// .upload-progress-text.
(function () {
  "use strict";

  const megabytes = (bytes) => (bytes / (1024 * 1024)).toFixed(1);

  function parts(event) {
    const form = event.target && event.target.closest ? event.target.closest("form[data-upload]") : null;
    if (!form) return null;
    return { bar: form.querySelector("progress.upload-progress"), text: form.querySelector(".upload-progress-text") };
  }

  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const found = parts(event);
    if (!found) return;
    found.bar.hidden = false;
    found.bar.removeAttribute("value"); // indeterminate until the first progress event
    found.text.textContent = "Starting the upload…";
  });

  document.body.addEventListener("htmx:xhr:progress", (event) => {
    const found = parts(event);
    if (!found || !event.detail.lengthComputable) return;
    const { loaded, total } = event.detail;
    found.bar.max = total;
    found.bar.value = loaded;
    found.text.textContent =
      loaded < total
        ? "Sending " + megabytes(loaded) + " of " + megabytes(total) + " MB (" + Math.floor((100 * loaded) / total) + "%)"
        : "Sent; the server is reading the file…";
  });

  document.body.addEventListener("htmx:afterRequest", (event) => {
    const found = parts(event);
    if (!found || !found.bar.isConnected) return;
    found.bar.hidden = true;
    found.text.textContent = "";
  });
})();
