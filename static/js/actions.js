/* Small page behaviours declared in the markup (the Content-Security-Policy forbids
   inline on* handlers): data-print prints the page, data-autosubmit submits its form. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("[data-autosubmit]").forEach(function (field) {
    field.addEventListener("change", function () { if (field.form) field.form.submit(); });
  });
})();
