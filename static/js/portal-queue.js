/* The portal's "my visit today": when the clinic's queue moves, fetch the panel again (the
   socket says only that something changed; the page asks the server what it means for us). */
(function () {
  const panel = () => document.getElementById("queue-panel");
  const first = panel();
  if (!first || !window.WebSocket) return;
  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + first.dataset.queueSocket);
    socket.addEventListener("open", () => { delay = 1000; });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      const current = panel();
      if (message.type === "queue" && current && window.htmx) htmx.trigger(current, "queue-changed");
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401 || event.code === 4403) return;  // signed out, or refused
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  connect();
})();
