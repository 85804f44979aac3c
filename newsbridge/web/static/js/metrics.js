// Cooperation metrics charts (chart.js, vendored). The page carries its numbers in a
// <script type="application/json" id="metrics-data"> block; every <canvas data-chart="key">
// is drawn from charts[key]. Nothing relies on colour alone: bars get a fill pattern per series,
// lines a marker shape and a dash. Each chart has a table view beside it; the buttons here only
// show it to sighted readers (screen readers always have it).
(function () {
  "use strict";
  var COLOURS = ["#1f5f99", "#b85c1a", "#2d7a3e", "#6b3f8f", "#7a6500", "#444444"];
  var POINTS = ["circle", "rect", "triangle", "rectRot", "crossRot", "cross"];
  var DASHES = [[], [6, 3], [2, 3], [8, 3, 2, 3], [1, 2], [10, 2]];

  function pattern(index) {
    var colour = COLOURS[index % COLOURS.length];
    var kind = index % COLOURS.length;
    if (kind === 0) { return colour; }  // solid: the colour itself
    var tile = document.createElement("canvas");
    tile.width = 8;
    tile.height = 8;
    var g = tile.getContext("2d");
    g.fillStyle = kind === 0 ? colour : "#ffffff";
    g.fillRect(0, 0, 8, 8);
    g.strokeStyle = colour;
    g.fillStyle = colour;
    if (kind === 1) {
      g.lineWidth = 2.2;
      g.beginPath();
      g.moveTo(-2, 2); g.lineTo(2, -2);
      g.moveTo(0, 8); g.lineTo(8, 0);
      g.moveTo(6, 10); g.lineTo(10, 6);
      g.stroke();
    } else if (kind === 2) {
      g.beginPath();
      g.arc(4, 4, 2.3, 0, 2 * Math.PI);
      g.fill();
    } else if (kind === 3) {
      g.lineWidth = 1.6;
      g.beginPath();
      g.moveTo(0, 0); g.lineTo(8, 8);
      g.moveTo(8, 0); g.lineTo(0, 8);
      g.stroke();
    } else if (kind === 4 || kind === 5) {
      g.lineWidth = 1.6;
      g.beginPath();
      if (kind === 4) { g.moveTo(2, 0); g.lineTo(2, 8); g.moveTo(6, 0); g.lineTo(6, 8); }
      else { g.moveTo(0, 2); g.lineTo(8, 2); g.moveTo(0, 6); g.lineTo(8, 6); }
      g.stroke();
    }
    return g.createPattern(tile, "repeat");
  }

  // The 95 % interval of a rate, as a whisker through the point (only periods with enough items have one).
  var whiskers = {
    id: "whiskers",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var scale = chart.scales.y;
      var count = chart.data.datasets.length;
      chart.data.datasets.forEach(function (dataset, index) {
        if (!dataset.intervals || !chart.isDatasetVisible(index)) { return; }
        ctx.save();
        ctx.strokeStyle = dataset.borderColor;
        ctx.lineWidth = 1;
        ctx.globalAlpha = 0.75;
        chart.getDatasetMeta(index).data.forEach(function (point, period) {
          var interval = dataset.intervals[period];
          if (!interval || dataset.data[period] === null) { return; }
          var x = point.x + (index - (count - 1) / 2) * 3;
          var low = scale.getPixelForValue(interval[0]);
          var high = scale.getPixelForValue(interval[1]);
          ctx.beginPath();
          ctx.moveTo(x, low); ctx.lineTo(x, high);
          ctx.moveTo(x - 3, low); ctx.lineTo(x + 3, low);
          ctx.moveTo(x - 3, high); ctx.lineTo(x + 3, high);
          ctx.stroke();
        });
        ctx.restore();
      });
    }
  };

  function formatter(data, unit) {
    var numbers = new Intl.NumberFormat(data.locale, {maximumFractionDigits: 1});
    if (unit === "percent") {
      var percents = new Intl.NumberFormat(data.locale, {style: "percent", maximumFractionDigits: 0});
      return function (value) { return value === null || value === undefined ? "—" : percents.format(value / 100); };
    }
    return function (value) { return value === null || value === undefined ? "—" : numbers.format(value); };
  }

  function datasets(spec) {
    return spec.series.map(function (series, index) {
      var colour = COLOURS[index % COLOURS.length];
      if (spec.kind === "bar") {
        return {label: series.name, data: series.values, backgroundColor: pattern(index), borderColor: colour,
                borderWidth: 1};
      }
      return {label: series.name, data: series.values, borderColor: colour, backgroundColor: colour,
              borderDash: DASHES[index % DASHES.length], pointStyle: POINTS[index % POINTS.length],
              pointRadius: spec.spark ? 0 : 3.5, borderWidth: spec.spark ? 1.6 : 2, stepped: spec.steps ? "before" : false,
              spanGaps: false, tension: 0, intervals: series.intervals || null};
    });
  }

  function draw(canvas, spec, data) {
    var format = formatter(data, spec.unit);
    var rtl = Boolean(data.rtl);
    var spark = Boolean(spec.spark);
    var y = {beginAtZero: true, position: rtl ? "right" : "left", display: !spark,
             ticks: {callback: function (value) { return format(value); }, precision: spec.unit === "count" ? 0 : undefined}};
    if (spec.unit === "percent") { y.max = 100; }
    return new window.Chart(canvas, {
      type: spec.kind,
      data: {labels: spec.labels, datasets: datasets(spec)},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, locale: data.locale,
        interaction: {mode: "index", intersect: false},
        scales: {x: {reverse: rtl, display: !spark, ticks: {autoSkip: true, maxRotation: 0}}, y: y},
        plugins: {
          legend: {display: !spark, rtl: rtl, labels: {usePointStyle: spec.kind === "line", boxWidth: 10, boxHeight: 10}},
          tooltip: {rtl: rtl, callbacks: {label: function (item) {
            var interval = item.dataset.intervals && item.dataset.intervals[item.dataIndex];
            var text = item.dataset.label + ": " + format(item.raw);
            return interval ? text + " (" + format(interval[0]) + "–" + format(interval[1]) + ")" : text;
          }}}
        }
      },
      plugins: [whiskers]
    });
  }

  function start() {
    var block = document.getElementById("metrics-data");
    if (block && window.Chart) {
      var data = JSON.parse(block.textContent);
      var font = window.getComputedStyle(document.body).fontFamily;
      if (font) { window.Chart.defaults.font.family = font; }
      document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
        var spec = data.charts[canvas.getAttribute("data-chart")];
        if (spec) { canvas.chart = draw(canvas, spec, data); }
      });
    }
    document.documentElement.classList.add("js-tables");
    document.querySelectorAll("button[data-table-toggle]").forEach(function (button) {
      var table = document.getElementById(button.getAttribute("data-table-toggle"));
      if (!table) { return; }
      var show = button.textContent;
      var hide = button.getAttribute("data-hide-label") || show;
      button.hidden = false;
      button.addEventListener("click", function () {
        var open = table.classList.toggle("shown");
        button.setAttribute("aria-expanded", open ? "true" : "false");
        button.textContent = open ? hide : show;
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
