/* The lab trend page: the values over time, the reference band each was flagged against
   shaded behind them (Chart.js, served from our static files). The table below carries the
   same values for those who cannot see the chart. */
(function () {
  "use strict";
  var canvas = document.getElementById("lab-trend");
  var data = document.getElementById("lab-trend-points");
  if (!canvas || !data || !window.Chart) { return; }
  var points = JSON.parse(data.textContent);
  var number = function (text) { return text === null ? null : parseFloat(text); };
  var labels = points.map(function (p) { return new Date(p.at).toLocaleDateString(); });
  var band = { borderWidth: 0, pointRadius: 0, stepped: "middle", order: 2, spanGaps: false };
  var flagged = function (p) { return p.flag ? "#dc3545" : "#0d6efd"; };
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: labels,
      datasets: [
        Object.assign({ label: "low", data: points.map(function (p) { return number(p.low); }),
          backgroundColor: "rgba(25, 135, 84, 0.15)", fill: false }, band),
        Object.assign({ label: canvas.getAttribute("data-band-label"),
          data: points.map(function (p) { return number(p.high); }),
          backgroundColor: "rgba(25, 135, 84, 0.15)", fill: "-1" }, band),
        {
          label: canvas.getAttribute("data-label"),
          data: points.map(function (p) { return number(p.value); }),
          borderColor: "#0d6efd",
          pointBackgroundColor: points.map(flagged),
          pointBorderColor: points.map(flagged),
          pointRadius: 4,
          order: 1
        }
      ]
    },
    options: {
      animation: false,
      plugins: {
        legend: { labels: { filter: function (item) { return item.text !== "low"; } } },
        tooltip: { callbacks: { afterLabel: function (ctx) {
          var p = points[ctx.dataIndex];
          return ctx.datasetIndex === 2 && p.flag ? "(" + p.flag + ")" : "";
        } } }
      },
      scales: { y: { title: { display: true, text: canvas.getAttribute("data-unit") } } }
    }
  });
})();
