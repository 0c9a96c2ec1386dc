// Zone pickers (select[data-zone-picker]): a search box that filters the zones by city,
// country or offset (every typed word must appear in the label), and, where the field
// asks for it and nothing is chosen yet, the browser's own zone preselected.
(function () {
  "use strict";
  var browserZone = "";
  try {
    browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    browserZone = "";
  }
  function normal(text) {
    return text.toLowerCase().replace(/_/g, " ");
  }
  document.querySelectorAll("select[data-zone-picker]").forEach(function (select, index) {
    if (select.hasAttribute("data-zone-browser-default") && !select.value && browserZone) {
      var known = Array.prototype.some.call(select.options, function (option) {
        return option.value === browserZone;
      });
      if (known) {
        select.value = browserZone;
      }
    }
    var box = document.createElement("input");
    box.type = "search";
    box.className = "zone-search";
    box.id = (select.id || "zone-picker-" + index) + "-search";
    box.placeholder = "Search: city, country or +01";
    box.setAttribute("aria-label", "Search time zones by city, country or offset");
    if (select.id) {
      box.setAttribute("aria-controls", select.id);
    }
    box.autocomplete = "off";
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var words = normal(box.value).split(/\s+/).filter(Boolean);
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var label = normal(option.textContent);
        var match = !option.value || words.every(function (word) {
          return label.indexOf(word) !== -1;
        });
        option.hidden = !match;
        if (match && option.value && first === null) {
          first = option;
        }
      });
      var current = select.options[select.selectedIndex];
      if (first && words.length && (!current || current.hidden || !current.value)) {
        select.value = first.value;
      }
    });
  });
})();
