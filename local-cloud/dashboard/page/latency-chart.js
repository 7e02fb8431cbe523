/*
 * Latency charts with Chart.js (the global `Chart`), shared by the live dashboard and the HTML
 * report of `npm run report -- --html`. Plain browser JavaScript: nothing to build.
 */
(function () {
  'use strict';

  /** Histogram buckets in milliseconds: upper bounds; the last bucket takes everything slower. */
  var BOUNDS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500];
  var COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#e15759'];

  function bucketLabels() {
    var labels = [];
    var low = 0;
    BOUNDS.forEach(function (high) {
      labels.push(low + '–' + high + ' ms');
      low = high;
    });
    labels.push('≥ ' + low + ' ms');
    return labels;
  }

  /** How many values fall in each bucket. */
  function counts(values) {
    var out = new Array(BOUNDS.length + 1).fill(0);
    values.forEach(function (value) {
      var i = 0;
      while (i < BOUNDS.length && value >= BOUNDS[i]) i++;
      out[i]++;
    });
    return out;
  }

  /** spans: [{label, values: [ms, …]}] → one bar series per span. */
  function datasets(spans) {
    return spans.map(function (span, i) {
      return { label: span.label, data: counts(span.values), backgroundColor: COLOURS[i % COLOURS.length], borderRadius: 3 };
    });
  }

  function histogram(canvas, spans, options) {
    return new Chart(canvas, {
      type: 'bar',
      data: { labels: bucketLabels(), datasets: datasets(spans) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: options && options.animation === false ? false : { duration: 300 },
        plugins: { legend: { position: 'bottom' }, title: { display: Boolean(options && options.title), text: options && options.title } },
        scales: {
          x: { title: { display: true, text: 'time spent in the stage' } },
          y: { beginAtZero: true, title: { display: true, text: 'events' }, ticks: { precision: 0 } },
        },
      },
    });
  }

  function updateHistogram(chart, spans) {
    var next = datasets(spans);
    if (chart.data.datasets.length !== next.length) chart.data.datasets = next;
    else next.forEach(function (set, i) { chart.data.datasets[i].data = set.data; });
    chart.update();
  }

  /** points: [{t: epoch ms, count}] → orders recorded per interval. */
  function throughput(canvas, points, intervalLabel, options) {
    return new Chart(canvas, {
      type: 'line',
      data: {
        labels: points.map(function (p) { return new Date(p.t).toISOString().slice(11, 19); }),
        datasets: [{ label: 'orders recorded per ' + intervalLabel, data: points.map(function (p) { return p.count; }), borderColor: '#4e79a7', backgroundColor: 'rgba(78,121,167,0.2)', fill: true, tension: 0.2, pointRadius: 2 }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: options && options.animation === false ? false : { duration: 300 },
        plugins: { legend: { position: 'bottom' } },
        scales: { x: { title: { display: true, text: 'time (UTC)' } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  window.LatencyCharts = { histogram: histogram, updateHistogram: updateHistogram, throughput: throughput, counts: counts };
})();
