/* The consultation page: the note saves itself a moment after typing stops, and keeps retrying
   while the network is down, so no text is lost; an ICD-10 search result fills the diagnosis.
   The indicator says "Saved" only once this script runs and the server has the text: text typed
   before the script started (a slow page) is saved as soon as it does. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  var state = document.querySelector("[data-save-state]");
  if (form) {
    var timer = null;
    var saving = false;
    var dirty = false;
    var stopped = false;
    var fields = form.querySelectorAll("textarea, input[type=text]");
    // The hour and minute as the reader's browser writes them ("14:46", "2:46 PM").
    var clock = function () {
      return new Date().toLocaleTimeString(undefined, {hour: "numeric", minute: "2-digit"});
    };
    var show = function (text, failed) {
      state.textContent = text;
      state.classList.toggle("text-danger", !!failed);
      form.setAttribute("data-save-status", failed ? "error" : (dirty ? "dirty" : "saved"));
    };
    var save = function () {
      if (saving || stopped || !dirty) { return; }
      saving = true;
      dirty = false;
      var data = new FormData(form);
      data.append("version", form.getAttribute("data-version"));
      fetch(form.action, {method: "POST", body: data, credentials: "same-origin",
                          headers: {"X-CSRFToken": data.get("csrfmiddlewaretoken")}})
        .then(function (response) {
          return response.json().then(function (body) { return {ok: response.ok, body: body}; });
        })
        .then(function (answer) {
          saving = false;
          if (!answer.ok) {
            stopped = true;
            show(answer.body.error || "Not saved.", true);
          } else {
            form.setAttribute("data-version", String(answer.body.version));
            // Typed while this save was on its way: not saved yet, so don't say it is.
            if (dirty) { show("…"); save(); } else { show("Saved " + clock()); }
          }
        })
        .catch(function () {  // offline: keep the text, try again shortly
          saving = false;
          dirty = true;
          show("Not saved yet: retrying…", true);
          setTimeout(save, 3000);
        });
    };
    form.addEventListener("input", function () {
      dirty = true;
      show("…");
      clearTimeout(timer);
      timer = setTimeout(save, 800);
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); save(); });
    window.addEventListener("beforeunload", function (event) {
      if (dirty || saving) { event.preventDefault(); event.returnValue = ""; }
    });
    // Text typed before this script ran made no input event that was heard: save it now.
    dirty = Array.prototype.some.call(fields, function (field) {
      return field.value !== field.defaultValue;
    });
    if (dirty) { show("…"); save(); } else { show("Saved"); }
  }
  // A catalogue medicine picked from the prescriber's list fills the item's name and form.
  document.addEventListener("click", function (event) {
    var pick = event.target.closest && event.target.closest("[data-medicine-name]");
    if (!pick) { return; }
    document.getElementById("rx-name").value = pick.getAttribute("data-medicine-name");
    document.getElementById("rx-strength").value = pick.getAttribute("data-medicine-strength");
    document.getElementById("rx-form").value = pick.getAttribute("data-medicine-form");
    document.getElementById("rx-unit").value = pick.getAttribute("data-medicine-unit");
    document.getElementById("medicine-options").innerHTML = "";
  });
  document.addEventListener("click", function (event) {
    var pick = event.target.closest && event.target.closest("[data-icd-code]");
    if (!pick) { return; }
    document.getElementById("dx-code").value = pick.getAttribute("data-icd-code");
    document.getElementById("dx-text").value = pick.getAttribute("data-icd-title");
    document.getElementById("icd10-results").innerHTML = "";
  });
})();
