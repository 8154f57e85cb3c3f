/* The consultation page: the note saves itself a moment after typing stops, and keeps retrying
   while the network is down, so no text is lost; an ICD-10 search result fills the diagnosis. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  var state = document.querySelector("[data-save-state]");
  if (form) {
    var timer = null;
    var saving = false;
    var dirty = false;
    var stopped = false;
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
          if (answer.ok) {
            form.setAttribute("data-version", String(answer.body.version));
            show("Saved " + new Date().toLocaleTimeString().slice(0, 5));
            if (dirty) { save(); }
          } else {
            stopped = true;
            show(answer.body.error || "Not saved.", true);
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
