/* Roster's page behaviour without inline event handlers (the Content-Security-Policy allows none):
   data-confirm="…"          ask before a button's or link's action goes ahead
   data-model-action="name"  run a list's bulk action (Flask-Admin's modelActions)
   data-inline-add="id"      add an entry to an inline list (Flask-Admin's faForm)
   data-submit-on-change     submit the field's form when its value changes
   data-copy-from="id"       copy the text of that field to the clipboard
   data-no-navigation        a link that only opens something on the page
   and names for the controls Flask-Admin's scripts build without one (filter rows, select2's parts), so that a
   screen reader says what each is. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm], [data-model-action], [data-inline-add], [data-copy-from], " +
                                  "[data-no-navigation], [data-print], [data-select-matching]");
    if (!el) { return; }
    if (el.hasAttribute("data-confirm") && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    if (el.hasAttribute("data-model-action")) {
      event.preventDefault();
      window.modelActions.execute(el.getAttribute("data-model-action"));
    } else if (el.hasAttribute("data-inline-add")) {
      event.preventDefault();
      window.faForm.addInlineField(el, el.getAttribute("data-inline-add"));
    } else if (el.hasAttribute("data-copy-from")) {
      var field = document.getElementById(el.getAttribute("data-copy-from"));
      field.select();
      if (navigator.clipboard) { navigator.clipboard.writeText(field.value); } else { document.execCommand("copy"); }
      el.textContent = text("copied");
    } else if (el.hasAttribute("data-no-navigation")) {
      event.preventDefault();
    } else if (el.hasAttribute("data-print")) {
      event.preventDefault();
      window.print();
    } else if (el.hasAttribute("data-select-matching")) {
      // Every student the list's filters match: the action form carries the filters, not the ticked ids.
      document.querySelector("#action_form input[name=matching]").value = window.location.search.slice(1) || "all=1";
      el.classList.add("d-none");
      document.getElementById("page-selected").classList.add("d-none");
      document.getElementById("matching-selected").classList.remove("d-none");
    }
  }, true);
  document.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("action-rowtoggle")) {
      var offer = document.getElementById("select-matching");
      var matching = document.querySelector("#action_form input[name=matching]");
      if (offer) { offer.classList.toggle("d-none", !event.target.checked); }
      if (matching && !event.target.checked) {
        matching.value = "";
        document.getElementById("select-matching-button").classList.remove("d-none");
        document.getElementById("page-selected").classList.remove("d-none");
        document.getElementById("matching-selected").classList.add("d-none");
      }
    }
    if (event.target.hasAttribute && event.target.hasAttribute("data-submit-on-change")) {
      event.target.form.submit();
    }
  });

  // The page's words for these (data-roster-texts on <body>, in the page's language), English without them.
  var ENGLISH = {copied: "Copied", remove_filter: "Remove the {filter} filter", how_to_match: "{filter}: how to match",
                 remove: "Remove {item}"};
  function text(key, values) {
    var texts = {};
    try { texts = JSON.parse(document.body.getAttribute("data-roster-texts") || "{}"); } catch (e) { texts = {}; }
    var out = texts[key] || ENGLISH[key];
    Object.keys(values || {}).forEach(function (name) { out = out.replace("{" + name + "}", values[name]); });
    return out;
  }
  function named(el, name) {
    if (el && !el.getAttribute("aria-label")) { el.setAttribute("aria-label", name); }
  }
  function nameControls() {
    document.querySelectorAll("#filter_form tr").forEach(function (row) {
      var remove = row.querySelector(".remove-filter");
      if (!remove) { return; }
      var filter = remove.textContent.replace("\u00d7", "").trim();
      named(remove, text("remove_filter", {filter: filter}));
      named(row.querySelector("select.filter-op"), text("how_to_match", {filter: filter}));
      row.querySelectorAll(".filter-val, input.select2-input, input.select2-focusser").forEach(function (el) {
        named(el, filter);
      });
    });
    document.querySelectorAll(".select2-search-choice-close").forEach(function (el) {
      var choice = el.parentNode ? el.parentNode.textContent.trim() : "";
      named(el, text("remove", {item: choice}));
      el.setAttribute("role", "button");
    });
    document.querySelectorAll(".select2-container input.select2-input, .select2-container input.select2-focusser")
      .forEach(function (el) {
        var select = el.closest(".select2-container");
        var field = select && select.id && document.getElementById(select.id.replace(/^s2id_/, ""));
        var label = field && field.id && document.querySelector("label[for='" + field.id + "']");
        if (label) { named(el, label.textContent.replace("*", "").trim()); }
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    nameControls();
    new MutationObserver(nameControls).observe(document.body, {childList: true, subtree: true});
  });
})();
