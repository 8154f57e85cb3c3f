/* The portal's "my visit today": when the clinic's queue moves, fetch the panel again (the
   socket says only that something changed; the page asks the server what it means for us).
   The body says data-queue-live="on" once the server has joined the socket to the queue
   ("hello"): from then on no change is missed; what changed between the page's rendering (or
   a dropped connection) and that moment is fetched at once. */
(function () {
  const panel = () => document.getElementById("queue-panel");
  const first = panel();
  if (!first || !window.WebSocket) return;
  let delay = 1000;
  function refresh() {
    const current = panel();
    if (current && window.htmx) htmx.trigger(current, "queue-changed");
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
