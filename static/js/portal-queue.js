/* The portal's "my visit today": when the clinic's queue moves, fetch the panel again (the
   socket says only that something changed; the page asks the server what it means for us).
   The body says data-queue-live="on" once the server has joined the socket to the queue
   ("hello"): from then on no change is missed; what changed between the page's rendering (or
   a dropped connection) and that moment is fetched at once.

   One fetch at a time, and a change told while one is on its way fetches once more after it:
   two moves a moment apart (the patient before done, ours called) must both show, and an
   answer read before the second commit must not be the last word. */
(function () {
  "use strict";
  const panel = () => document.getElementById("queue-panel");
  const first = panel();
  if (!first || !window.WebSocket || !window.fetch) return;
  let fetching = false;
  let again = false;
  let delay = 1000;

  async function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    try {
      do {
        again = false;
        const current = panel();
        if (!current) return;
        const answer = await fetch(current.dataset.queuePanel, {
          headers: { "HX-Request": "true" },
          credentials: "same-origin",
        });
        if (!answer.ok) return;
        const html = await answer.text();
        const shown = panel();
        if (shown) shown.outerHTML = html;
      } while (again);
    } catch (error) {
      again = false;  // the next change, or the next "hello" after a reconnect, fetches again
    } finally {
      fetching = false;
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + first.dataset.queueSocket);
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "hello") {
        delay = 1000;
        document.body.setAttribute("data-queue-live", "on");
        refresh();
      } else if (message.type === "queue") {
        refresh();
      }
    });
    socket.addEventListener("close", (event) => {
      document.body.setAttribute("data-queue-live", "off");
      if (event.code === 4401 || event.code === 4403) return;  // signed out, or refused
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  connect();
})();
