// The overview's chart: alerts per day by rule, from /api/overview.
(function () {
  'use strict';
  var el = document.getElementById('per-day');
  if (!el || typeof uPlot === 'undefined') return;
  var COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
  fetch('/api/overview', { credentials: 'same-origin' })
    .then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    })
    .then(function (o) {
      var data = [o.days.map(function (d) { return Date.parse(d + 'T00:00:00Z') / 1000; })];
      var series = [{}];
      o.rules.forEach(function (r, i) {
        data.push(r.perDay.map(function (v) { return v === 0 ? null : v; }));
        series.push({ label: r.rule, stroke: COLOURS[i % COLOURS.length], fill: COLOURS[i % COLOURS.length] + '55', paths: uPlot.paths.bars({ size: [0.8, 40] }), points: { show: false } });
      });
      var width = Math.max(600, el.clientWidth || 900);
      var utc = function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); };
      new uPlot({ width: width, height: 260, tzDate: utc, series: series, scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.1]; } } }, axes: [{ label: 'day (UTC)' }, { label: 'alerts / day' }] }, data, el);
      el.setAttribute('data-ready', 'true');
    })
    .catch(function (err) {
      el.textContent = 'The chart could not be drawn: ' + err.message;
      el.setAttribute('data-ready', 'error');
    });
})();
