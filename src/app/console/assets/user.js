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
      var data = [t.hours];
      var series = [{}];
      t.series.forEach(function (s, i) {
        data.push(s.events.map(function (v) { return v === 0 ? null : v; }));
        series.push({
          label: s.ip === '' ? '(no address)' : s.ip + (s.country ? ' (' + s.country + ')' : ''),
          stroke: COLOURS[i % COLOURS.length],
          fill: COLOURS[i % COLOURS.length] + '33',
          width: 1,
          paths: uPlot.paths.bars({ size: [1, 8], align: 1 }),
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
      new uPlot({ width: width, height: 280, series: series, scales: { x: { time: true } }, axes: [{}, { label: 'events / hour' }], plugins: [markAlerts] }, data, el);
      var total = t.series.reduce(function (n, s) { return n + s.total; }, 0);
      note.textContent = total + ' events from ' + t.series.length + ' address series; ' + t.alerts.length + ' alert' + (t.alerts.length === 1 ? '' : 's') + ' marked (red: critical, orange: high, yellow: others).';
      el.setAttribute('data-ready', 'true');
    })
    .catch(function (err) {
      note.textContent = 'The timeline could not be drawn: ' + err.message;
      el.setAttribute('data-ready', 'error');
    });
})();
