/*
 * The live dashboard. The token arrives in the address's fragment (#token=…, never sent to the
 * server), is kept in this tab's sessionStorage and sent in a header on every API call; the
 * event stream opens with a one-time ticket bought with it (EventSource cannot send headers).
 */
(function () {
  'use strict';

  var API = '/_localcloud/dashboard/api/';
  var SVG = 'http://www.w3.org/2000/svg';
  var MAX_FLOW_ROWS = 200;

  // ---- the token and the prefix ----
  var fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get('token')) {
    sessionStorage.setItem('local-cloud-token', fragment.get('token'));
    if (fragment.get('prefix')) sessionStorage.setItem('workbook-prefix', fragment.get('prefix'));
    history.replaceState(null, '', location.pathname); // out of the address bar and the history
  }
  var token = sessionStorage.getItem('local-cloud-token');
  var prefix = sessionStorage.getItem('workbook-prefix') || 'workbook';
  var names = {
    api: prefix + '-orders-api', intake: prefix + '-intake', queue: prefix + '-orders', dlq: prefix + '-orders-dlq',
    monitor: prefix + '-monitor', topic: prefix + '-order-updates', recorder: prefix + '-recorder', table: prefix + '-order-events',
  };
  document.getElementById('prefix').textContent = 'prefix ' + prefix;

  function api(path, init) {
    init = init || {};
    init.headers = Object.assign({ 'x-local-cloud-token': token || '' }, init.headers || {});
    init.credentials = 'omit';
    return fetch(API + path, init);
  }

  // ---- the diagram ----
  var LAYOUT = {
    api: { x: 10, y: 35, title: 'API Gateway' },
    intake: { x: 140, y: 35, title: 'λ intake' },
    queue: { x: 270, y: 35, title: 'SQS orders' },
    dlq: { x: 270, y: 160, title: 'SQS DLQ' },
    monitor: { x: 400, y: 35, title: 'λ monitor' },
    topic: { x: 530, y: 35, title: 'SNS updates' },
    recorder: { x: 660, y: 35, title: 'λ recorder' },
    table: { x: 790, y: 35, title: 'DynamoDB' },
  };
  var W = 110, H = 80;
  var boxes = {};
  Object.keys(LAYOUT).forEach(function (id) {
    var spot = LAYOUT[id];
    var g = document.createElementNS(SVG, 'g');
    g.setAttribute('id', 'node-' + id);
    g.setAttribute('class', 'node unknown');
    g.setAttribute('transform', 'translate(' + spot.x + ',' + spot.y + ')');
    var rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('width', W); rect.setAttribute('height', H); rect.setAttribute('rx', 10);
    g.appendChild(rect);
    var lines = [spot.title, '', '', ''].map(function (text, i) {
      var t = document.createElementNS(SVG, 'text');
      t.setAttribute('x', W / 2); t.setAttribute('y', 20 + i * 17);
      t.setAttribute('class', i === 0 ? 'title' : i === 1 ? 'state' : 'fact');
      t.textContent = text;
      g.appendChild(t);
      return t;
    });
    var title = document.createElementNS(SVG, 'title');
    g.appendChild(title);
    document.getElementById('nodes').appendChild(g);
    boxes[id] = { g: g, lines: lines, tooltip: title };
  });

  /** Where a dot leaves one box and enters the next: their facing sides, so it never covers a box's text. */
  function ends(from, to) {
    var a = LAYOUT[from], b = LAYOUT[to];
    if (b.y > a.y) return [{ x: a.x + W / 2, y: a.y + H }, { x: b.x + W / 2, y: b.y }];
    return [{ x: a.x + W, y: a.y + H / 2 }, { x: b.x, y: b.y + H / 2 }];
  }

  function showState(state) {
    state.resources.forEach(function (r) {
      var box = boxes[r.id];
      if (!box) return;
      box.g.setAttribute('class', 'node ' + (r.exists ? 'exists' : 'missing'));
      box.lines[1].textContent = r.exists ? '✔ exists' : '✘ missing';
      box.lines[2].textContent = r.facts[0] || '';
      box.lines[3].textContent = r.facts[1] || '';
      box.tooltip.textContent = r.kind + ' ' + r.name + (r.exists ? '' : ' (not made yet)');
    });
  }

  /** A dot that travels along an edge, and a flash on the box it reaches. */
  function animate(from, to, failed) {
    var path = ends(from, to), a = path[0], b = path[1];
    var dot = document.createElementNS(SVG, 'circle');
    dot.setAttribute('r', 7);
    dot.setAttribute('class', 'dot' + (failed ? ' failed' : ''));
    document.getElementById('dots').appendChild(dot);
    var run = dot.animate(
      [{ transform: 'translate(' + a.x + 'px,' + a.y + 'px)' }, { transform: 'translate(' + b.x + 'px,' + b.y + 'px)' }],
      { duration: 600, easing: 'ease-in-out' },
    );
    run.onfinish = function () { dot.remove(); flash(to, failed); };
    var edge = document.getElementById('edge-' + from + '-' + to);
    if (edge) {
      edge.classList.add('active');
      setTimeout(function () { edge.classList.remove('active'); }, 700);
    }
  }

  function flash(id, failed) {
    var box = boxes[id];
    if (!box) return;
    var cls = failed ? 'flash-failed' : 'flash';
    box.g.classList.remove(cls);
    void box.g.getBoundingClientRect(); // restart the CSS animation
    box.g.classList.add(cls);
  }

  // ---- what an event means for the pipeline ----
  function functionOf(caller) {
    return caller ? caller.split('/').pop() : undefined;
  }

  function classify(e) {
    var by = functionOf(e.caller);
    var failed = Boolean(e.error) || (e.status !== undefined && e.status >= 400);
    var detail = e.detail || '';
    if (e.service === 'execute-api') return { edge: ['api', 'intake'], kind: 'api', text: e.action + ' → ' + e.status, failed: failed };
    if (e.service === 'sqs' && /^SendMessage/.test(e.action) && by === names.intake) return { edge: ['intake', 'queue'], kind: 'message', text: 'message sent to ' + names.queue, failed: failed };
    if (e.service === 'lambda' && e.action === 'EventSourceMapping' && detail.indexOf('→ ' + names.monitor + ':') >= 0) {
      var batch = /(\d+) records?, (\d+) failures?/.exec(detail);
      var text = batch
        ? 'received ' + batch[1] + ', deleted ' + (batch[1] - batch[2]) + (batch[2] > 0 ? ', ' + batch[2] + ' back to the queue' : '')
        : detail.slice(detail.indexOf(':') + 2);
      return { edge: ['queue', 'monitor'], kind: 'message', text: text, failed: failed || Boolean(batch && batch[2] > 0) };
    }
    if (e.service === 'lambda' && e.action === 'Invocation') {
      var fn = detail.split(' ')[0];
      var id = fn === names.intake ? 'intake' : fn === names.monitor ? 'monitor' : fn === names.recorder ? 'recorder' : undefined;
      return { node: id, kind: 'invocation', text: fn + ' ran ' + e.ms + ' ms: ' + (e.error ? e.error : 'ok'), failed: failed };
    }
    if (e.service === 'sns' && /^Publish/.test(e.action) && by === names.monitor) return { edge: ['monitor', 'topic'], kind: 'publish', text: 'update published to ' + names.topic, failed: failed };
    if (e.service === 'sns' && e.action === 'Deliver' && detail.indexOf(':' + names.recorder) >= 0) return { edge: ['topic', 'recorder'], kind: 'delivery', text: 'delivered to ' + names.recorder, failed: failed };
    if (e.service === 'dynamodb' && e.action === 'PutItem' && by === names.recorder) {
      var duplicate = /ConditionalCheckFailed/.test(e.error || '');
      return { edge: ['recorder', 'table'], kind: 'record', text: duplicate ? 'already recorded (a redelivery): stored once' : 'record written to ' + names.table, failed: failed && !duplicate, record: !duplicate };
    }
    if (e.service === 'sqs' && e.action === 'Redrive' && detail.indexOf(names.dlq) >= 0) return { edge: ['queue', 'dlq'], kind: 'dlq', text: detail, failed: true };
    return { kind: 'other', text: [e.service, e.action, detail].filter(Boolean).join(' '), failed: failed };
  }

  // ---- the flow list ----
  var flow = document.getElementById('flow');
  function addRow(e, meaning) {
    var li = document.createElement('li');
    li.className = 'kind-' + meaning.kind + (meaning.failed ? ' failed' : '');
    var time = document.createElement('time');
    time.textContent = new Date(e.time).toISOString().slice(11, 23);
    var tag = document.createElement('span');
    tag.className = 'tag';
    tag.textContent = meaning.kind;
    var text = document.createElement('span');
    text.className = 'text';
    text.textContent = meaning.text + (e.ms !== undefined && meaning.kind !== 'invocation' ? ' · ' + e.ms + ' ms' : '');
    li.append(time, tag, text);
    if (e.error) li.title = e.error;
    flow.prepend(li);
    while (flow.children.length > MAX_FLOW_ROWS) flow.lastChild.remove();
  }

  function onEvent(e) {
    var meaning = classify(e);
    addRow(e, meaning);
    if (meaning.edge) animate(meaning.edge[0], meaning.edge[1], meaning.failed);
    else if (meaning.node) flash(meaning.node, meaning.failed);
    if (meaning.kind !== 'other' || /^(Create|Delete)/.test(e.action)) later('state', refreshState, 300);
    if (meaning.record) {
      later('latency', refreshLatency, 500);
      if (shownOrder) later('order', function () { showOrder(shownOrder); }, 200);
    }
  }

  var timers = {};
  function later(key, fn, ms) {
    if (timers[key]) return;
    timers[key] = setTimeout(function () { timers[key] = undefined; fn(); }, ms);
  }

  // ---- the live connection ----
  var connection = document.getElementById('connection');
  function setConnection(text, on) {
    connection.textContent = text;
    connection.className = 'pill ' + (on ? 'on' : 'off');
  }

  var retryMs = 500;
  function connect() {
    api('ticket', { method: 'POST' })
      .then(function (res) {
        if (!res.ok) throw new Error('ticket refused (' + res.status + ')');
        return res.json();
      })
      .then(function (body) {
        var source = new EventSource(API + 'events?ticket=' + encodeURIComponent(body.ticket));
        source.onopen = function () { retryMs = 500; setConnection('live', true); refreshState(); };
        source.onmessage = function (message) { onEvent(JSON.parse(message.data)); };
        source.onerror = function () {
          source.close(); // a ticket opens one stream: the next try buys a new one
          reconnect('reconnecting…');
        };
      })
      .catch(function (err) { reconnect('offline: ' + err.message); });
  }
  function reconnect(why) {
    setConnection(why, false);
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10000);
  }

  function refreshState() {
    return api('pipeline?prefix=' + encodeURIComponent(prefix))
      .then(function (res) { return res.ok ? res.json() : undefined; })
      .then(function (state) { if (state) showState(state); })
      .catch(function () { /* shown by the connection pill */ });
  }

  // ---- the latency histogram ----
  var chart;
  var latencyCount = document.getElementById('latency-count');
  function refreshLatency() {
    return api('latency?prefix=' + encodeURIComponent(prefix) + '&minutes=15')
      .then(function (res) { return res.ok ? res.json() : { events: 0, spans: [] }; })
      .then(function (data) {
        latencyCount.textContent = data.events + ' event' + (data.events === 1 ? '' : 's') + ', last 15 minutes';
        var spans = data.spans.length ? data.spans : ['intake → queue', 'queue → monitor', 'monitor → publish', 'publish → record', 'end to end'].map(function (label) { return { label: label, values: [] }; });
        if (!chart) chart = LatencyCharts.histogram(document.getElementById('latency-chart'), spans);
        else LatencyCharts.updateHistogram(chart, spans);
        window.latencyChart = chart; // for tests and the curious: the chart instance
      })
      .catch(function () { /* shown by the connection pill */ });
  }

  // ---- an order's timeline ----
  var shownOrder;
  var result = document.getElementById('order-result');
  var STAGE_NAMES = { acceptedAt: 'accepted by intake', queuedAt: 'sent to the queue', processedAt: 'taken by the monitor', publishedAt: 'published', recordedAt: 'recorded' };
  function showOrder(orderId) {
    shownOrder = orderId;
    return api('orders/' + encodeURIComponent(orderId) + '?prefix=' + encodeURIComponent(prefix))
      .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
      .then(function (answer) {
        result.replaceChildren();
        if (!answer.ok) {
          var p = document.createElement('p');
          p.className = 'notice';
          p.textContent = answer.body.message;
          result.append(p);
          return;
        }
        answer.body.events.forEach(function (event) {
          var h = document.createElement('h3');
          h.textContent = 'status: ' + event.status;
          var ol = document.createElement('ol');
          var start = event.times.acceptedAt;
          Object.keys(STAGE_NAMES).forEach(function (stage) {
            if (event.times[stage] === undefined) return;
            var li = document.createElement('li');
            var when = document.createElement('time');
            when.textContent = new Date(event.times[stage]).toISOString().slice(11, 23);
            li.append(when, ' ' + STAGE_NAMES[stage] + (stage === 'acceptedAt' ? '' : ' (+' + (event.times[stage] - start) + ' ms)'));
            ol.append(li);
          });
          result.append(h, ol);
        });
      })
      .catch(function (err) { result.textContent = err.message; });
  }
  document.getElementById('order-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var id = document.getElementById('order-id').value.trim();
    if (id) showOrder(id);
  });

  // ---- start ----
  if (!token) {
    document.getElementById('no-token').hidden = false;
    setConnection('no token', false);
    return;
  }
  refreshState();
  refreshLatency();
  connect();
  setInterval(refreshState, 5000);
})();
