// The search page's optional script: place suggestions from /api/places while typing in the
// place field, and "/" to jump to the search box. Everything works the same without it.
(function () {
  "use strict";

  var SUGGESTIONS = 8;
  var WAIT_MS = 150;

  function typingIn(element) {
    return element && (element.isContentEditable ||
      /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName));
  }

  function focusSearchBoxOnSlash() {
    var box = document.getElementById("q");
    if (!box) {
      return;
    }
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey ||
          typingIn(event.target)) {
        return;
      }
      event.preventDefault();
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    });
  }

  function option(place) {
    var item = document.createElement("option");
    // The label names one place ("Washington, D.C."), and the place filter takes it.
    item.value = place.label || place.name;
    item.label = item.value + " · " + place.count;
    return item;
  }

  function suggestPlaces() {
    var field = document.getElementById("place");
    var list = document.getElementById("place-options");
    if (!field || !list || !window.fetch) {
      return;
    }
    var timer = null;
    var asked = "";
    function ask() {
      var prefix = field.value.trim();
      if (prefix.length < 2 || prefix === asked) {
        return;
      }
      asked = prefix;
      fetch("/api/places?limit=" + SUGGESTIONS + "&prefix=" + encodeURIComponent(prefix))
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (body) {
          if (body && field.value.trim() === prefix) {
            list.replaceChildren.apply(list, body.places.map(option));
          }
        })
        .catch(function () { asked = ""; });
    }
    field.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, WAIT_MS);
    });
  }

  focusSearchBoxOnSlash();
  suggestPlaces();
}());
