/* ClinicFlow's small page behaviours. No inline scripts anywhere: the CSP forbids them. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // A <select data-autosubmit> submits its form on change (the clinic switcher).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]")) {
      target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
    }
  });

  // Buttons with data-confirm ask before submitting (deactivate, reset).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // A [data-print] button prints the page (token slips, prescriptions).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });

  // The sidebar's fold button: icons only, or icons and labels. The choice is kept in a cookie
  // that the server reads, so the next page is drawn the same way from its first paint.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-sidebar-fold]");
    if (!button) { return; }
    var folded = document.body.classList.toggle("sidebar-folded");
    button.setAttribute("aria-expanded", folded ? "false" : "true");
    document.cookie = "clinicflow_sidebar=" + (folded ? "folded" : "open") +
      "; path=/; max-age=31536000; SameSite=Lax" +
      (window.location.protocol === "https:" ? "; Secure" : "");
  });

  // The live notification channel: the server closes it when the session ends.
  var url = document.body.getAttribute("data-notifications-url");
  if (url && "WebSocket" in window) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var badge = document.querySelector("[data-notification-count]");
    var connect = function (delay) {
      var socket = new WebSocket(scheme + window.location.host + url);
      socket.onmessage = function (message) {
        var data = JSON.parse(message.data);
        if (data.type === "hello") { // joined: from now on, notices reach this page live
          document.body.setAttribute("data-notifications-live", "on");
        }
        if (data.type === "notification") { // for a page's own reaction (the lab's banner)
          document.dispatchEvent(new CustomEvent("clinicflow:notice", { detail: data.payload || {} }));
        }
        if (!badge) { return; }
        if (data.type === "hello") { // the server's count, fresh at each (re)connection
          badge.textContent = String(data.unread || 0);
          badge.classList.toggle("d-none", !data.unread);
        } else if (data.type === "notification") {
          var added = (data.payload && data.payload.count) || 1;
          badge.textContent = String(parseInt(badge.textContent || "0", 10) + added);
          badge.classList.remove("d-none");
        }
      };
      socket.onclose = function (event) {
        document.body.setAttribute("data-notifications-live", "off");
        if (event.code === 4401) { window.location.reload(); return; } // session ended
        if (event.code === 4403) { return; } // not allowed: do not retry
        setTimeout(function () { connect(Math.min(delay * 2, 30000)); }, delay);
      };
    };
    connect(1000);
  }
})();
