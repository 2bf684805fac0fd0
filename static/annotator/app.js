// Small behaviours every page may use, kept out of the markup: the Content-Security-Policy
// runs no inline script and no on* attribute.
(function () {
  "use strict";

  // <select data-submit-on-change>: choosing an option reloads the page with it (a GET form).
  document.addEventListener("change", (event) => {
    const control = event.target;
    if (control.matches("[data-submit-on-change]") && control.form) control.form.requestSubmit();
  });
})();
