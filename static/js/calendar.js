/* The appointment calendar: FullCalendar week/day views; dragging an appointment asks the
   server to move it (the same rules as everywhere: a taken time is refused and the event goes
   back). No inline script: configuration comes from data attributes. */
(function () {
  "use strict";
  var element = document.getElementById("calendar");
  if (!element || !window.FullCalendar) { return; }
  var errorBox = document.querySelector("[data-calendar-error]");
  var csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];

  function showError(message) {
    errorBox.textContent = message;
    errorBox.classList.remove("d-none");
  }

  var calendar = new FullCalendar.Calendar(element, {
    initialView: "timeGridWeek",
    headerToolbar: { left: "prev,next today", center: "title", right: "timeGridWeek,timeGridDay" },
    // Times are instants (ISO with offset); they show in the browser's zone, the clinic's own.
    timeZone: "local",
    slotMinTime: "06:00:00",
    slotMaxTime: "21:00:00",
    allDaySlot: false,
    nowIndicator: true,
    editable: element.dataset.editable === "true",
    eventDurationEditable: false,
    events: element.dataset.eventsUrl,
    eventDrop: function (info) {
      errorBox.classList.add("d-none");
      fetch(element.dataset.moveUrl.replace("{id}", info.event.id), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ starts_at: info.event.start.toISOString() })
      }).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            info.revert();
            showError(body.detail || "The appointment could not be moved.");
          }
        });
      }).catch(function () {
        info.revert();
        showError("The clinic could not be reached; nothing was moved.");
      });
    }
  });
  calendar.render();
})();
