// A link with position= (from the agreement report) opens the comparison at that sentence:
// the server marks it (data-scroll-here, class "wanted"); here it is scrolled into view, clear
// of anything sticky (app.css: scroll-margin-top), and focused for the keyboard.
(function () {
  "use strict";
  const wanted = document.querySelector("[data-scroll-here]");
  if (!wanted) return;
  wanted.scrollIntoView({ block: "start" });
  wanted.focus({ preventScroll: true });
})();
