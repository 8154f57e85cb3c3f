/* The waiting-room board: each message reloads the tokens (HTMX); a token called in is
   announced ("Token 12, room 3") with the browser's speech synthesis, unless switched off. */
(function () {
  "use strict";
  var body = document.body;
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var url = scheme + window.location.host + body.getAttribute("data-board-socket");
  var toggle = document.querySelector("[data-sound-toggle]");
  var state = document.querySelector("[data-sound-state]");
  var soundOn = window.localStorage.getItem("clinicflow.board.sound") !== "off";
  var show = function () {
    toggle.setAttribute("aria-pressed", soundOn ? "true" : "false");
    state.textContent = soundOn ? "on" : "off";
  };
  toggle.addEventListener("click", function () {
    soundOn = !soundOn;
    window.localStorage.setItem("clinicflow.board.sound", soundOn ? "on" : "off");
    show();
  });
  show();
  var say = function (data) {
    var words = body.getAttribute("data-say-token") + " " + data.token;
    if (data.room) { words += ", " + body.getAttribute("data-say-room") + " " + data.room; }
    body.setAttribute("data-last-announcement", words);
    if (!soundOn || !("speechSynthesis" in window)) { return; }
    var utterance = new SpeechSynthesisUtterance(words);
    utterance.lang = body.getAttribute("data-language") || "en";
    window.speechSynthesis.speak(utterance);
  };
  var connect = function (delay) {
    var socket = new WebSocket(url);
    socket.onmessage = function (message) {
      var data = JSON.parse(message.data);
      if (data.type === "board") {
        if (data.called) { say(data); }
        body.dispatchEvent(new CustomEvent("board-changed"));
      } else if (data.type === "hello") {
        // "on" once the server has joined this socket to the board's groups.
        delay = 1000;
        body.setAttribute("data-board-live", "on");
        // whatever changed between the page's rendering (or a drop) and now
        body.dispatchEvent(new CustomEvent("board-changed"));
      }
    };
    socket.onclose = function (event) {
      body.setAttribute("data-board-live", "off");
      if (event.code === 4403) { window.location.reload(); return; } // revoked: the page 404s
      setTimeout(function () { connect(Math.min(delay * 2, 30000)); }, delay);
    };
  };
  connect(1000);
})();
