/* The doctor's critical-values banner: when a critical value is told live (a "lab.critical"
   notice on the navbar's channel, see clinicflow.js), it shows at once, linking to the alert. */
(function () {
  "use strict";
  document.addEventListener("clinicflow:notice", function (event) {
    var notice = event.detail || {};
    var banner = document.querySelector("[data-critical-banner]");
    if (notice.kind !== "lab.critical" || !banner) { return; }
    var list = banner.querySelector("[data-critical-list]");
    var link = document.createElement("a");
    link.className = "alert-link";
    link.href = notice.url || "#";
    link.textContent = notice.title || "";
    var item = document.createElement("li");
    item.setAttribute("data-testid", "critical-banner-alert");
    item.appendChild(link);
    list.insertBefore(item, list.firstChild);
    banner.classList.remove("d-none");
  });
})();
