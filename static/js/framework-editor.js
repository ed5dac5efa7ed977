/* Framework editor (progressive enhancement; the pages work without it): a node form
   shows only the fields of its leaf kind and conversion rule, and a removal asks first. */
(function () {
  "use strict";
  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  var form = document.querySelector("form.criterion-form");
  if (!form) return;
  var RULE_FIELDS = {
    linear: ["scale"],
    bands: ["bands"],
    minmax: ["direction", "years"],
    rescale_1_10: ["direction", "years"],
    as_is: []
  };
  function row(name) { return form.querySelector('[data-field="' + name + '"]'); }
  function value(name) {
    var field = form.elements.namedItem(name);
    return field ? field.value : "";
  }
  function show(name, visible) {
    var element = row(name);
    if (element) element.hidden = !visible;
  }
  function update() {
    var survey = value("leaf") === "survey";
    var rule = value("rule_type");
    var top = value("parent") === "";
    show("kind", top);
    show("rule_type", survey);
    show("component", survey);
    ["scale", "bands", "direction", "years"].forEach(function (name) {
      show(name, survey && (RULE_FIELDS[rule] || []).indexOf(name) >= 0);
    });
  }
  form.addEventListener("change", update);
  update();
})();
