/* The live queue: a WebSocket says "something changed" and the list reloads itself (HTMX).
   Each time the socket (re)joins, it reloads too: nothing changed before or while it was away
   is missed. */
(function () {
  "use strict";
  var list = document.querySelector("[data-queue-socket]");
  if (!list || !("WebSocket" in window)) { return; }
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var url = scheme + window.location.host + list.getAttribute("data-queue-socket");
  var pending = null;
  var reload = function () {
    if (pending) { return; }
    pending = setTimeout(function () {
      pending = null;
      document.body.dispatchEvent(new CustomEvent("queue-changed"));
    }, 150);
  };
  var connect = function (delay) {
    var socket = new WebSocket(url);
    socket.onmessage = function (message) {
      var data = JSON.parse(message.data);
      if (data.type === "hello") {
        // "on" once the server has joined this socket to the queue: from now on nothing is
        // missed (the socket opens a moment before that).
        delay = 1000;
        document.body.setAttribute("data-queue-live", "on");
        reload();  // whatever changed between the page's rendering (or a drop) and now
      } else if (data.type === "queue") { reload(); }
    };
    socket.onclose = function (event) {
      document.body.setAttribute("data-queue-live", "off");
      if (event.code === 4401) { window.location.reload(); return; }
      if (event.code === 4403) { return; }
      setTimeout(function () { connect(Math.min(delay * 2, 30000)); }, delay);
    };
  };
  connect(1000);
})();
