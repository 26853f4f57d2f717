// The user page's timeline: events per hour by address (and country), alerts marked.
// Data from /api/user/timeline; every log-derived string reaches the page as text only
// (uPlot writes legend labels with textContent).
(function () {
  'use strict';
  var el = document.getElementById('timeline');
  var note = document.getElementById('timeline-note');
  if (!el || typeof uPlot === 'undefined') return;
  var COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
  fetch('/api/user/timeline?dn=' + encodeURIComponent(el.getAttribute('data-dn')), { credentials: 'same-origin' })
    .then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    })
    .then(function (t) {
      // Stacked: series k is drawn at the sum of series 0..k (the largest first, so each
      // address shows as its own band); the legend shows each address's own count.
      var raw = t.series.map(function (s) { return s.events; });
      var sums = t.hours.map(function () { return 0; });
      var stacked = raw.map(function (events) {
        return events.map(function (v, i) { sums[i] += v; return sums[i] === 0 ? null : sums[i]; });
      });
      var data = [t.hours].concat(stacked.slice().reverse());
      var series = [{}];
      t.series.slice().reverse().forEach(function (s, j) {
        var k = t.series.length - 1 - j;
        series.push({
          label: s.ip === '' ? '(no address)' : s.ip + (s.country ? ' (' + s.country + ')' : ''),
          value: function (u, v, si, idx) { return idx === null || idx === undefined ? '--' : String(raw[k][idx]); },
          stroke: COLOURS[k % COLOURS.length],
          fill: COLOURS[k % COLOURS.length] + 'bb',
          width: 1,
          paths: uPlot.paths.bars({ size: [0.9, 60], align: 1 }),
          points: { show: false },
        });
      });
      var marks = t.alerts.map(function (a) { return { x: Date.parse(a.time) / 1000, sev: a.severity }; });
      var markAlerts = {
        hooks: {
          draw: [function (u) {
            var ctx = u.ctx;
            ctx.save();
            marks.forEach(function (m) {
              var x = Math.round(u.valToPos(m.x, 'x', true));
              ctx.strokeStyle = m.sev === 'critical' ? '#b00020' : m.sev === 'high' ? '#d9480f' : '#e8a400';
              ctx.lineWidth = 2;
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
            });
            ctx.restore();
          }],
        },
      };
      var width = Math.max(600, el.clientWidth || 900);
      var utc = function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); };
      new uPlot({ width: width, height: 280, tzDate: utc, series: series, scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.1]; } } }, axes: [{ label: 'log time (UTC)' }, { label: 'events / hour' }], plugins: [markAlerts] }, data, el);
      var total = t.series.reduce(function (n, s) { return n + s.total; }, 0);
      note.textContent = total + ' events from ' + t.series.length + ' address series; ' + t.alerts.length + ' alert' + (t.alerts.length === 1 ? '' : 's') + ' marked (red: critical, orange: high, yellow: others).';
      el.setAttribute('data-ready', 'true');
    })
    .catch(function (err) {
      note.textContent = 'The timeline could not be drawn: ' + err.message;
      el.setAttribute('data-ready', 'error');
    });
})();
