// Lathe studio, jobs pages: live durations of running jobs, a job's log
// followed over Server-Sent Events, and a running pipeline's steps
// refreshed every 2 seconds. Without this file the pages show
// the same things as of the moment they were loaded.
(function () {
  'use strict';

  // duration writes seconds as the server does: 45s, 3m12s, 2h5m, 1d4h.
  function duration(v) {
    var s = Math.max(0, Math.round(v));
    var two = function (a, au, b, bu) { return b === 0 ? a + au : a + au + b + bu; };
    if (s < 60) return s + 's';
    if (s < 3600) return two(Math.floor(s / 60), 'm', s % 60, 's');
    if (s < 86400) return two(Math.floor(s / 3600), 'h', Math.floor(s % 3600 / 60), 'm');
    return two(Math.floor(s / 86400), 'd', Math.floor(s % 86400 / 3600), 'h');
  }

  // A running job's duration counts from its start on the server's clock
  // (data-now), plus the time since the element got it, so a browser whose
  // clock is off still counts right.
  function stamp(el, since, now) {
    el.setAttribute('data-since', since);
    el.setAttribute('data-now', now);
    el._got = Date.now();
  }
  function tick() {
    document.querySelectorAll('[data-since]').forEach(function (el) {
      var since = Date.parse(el.getAttribute('data-since')), now = Date.parse(el.getAttribute('data-now'));
      if (isNaN(since) || isNaN(now)) return;
      if (!el._got) el._got = loaded;
      el.textContent = duration((now - since + Date.now() - el._got) / 1000) + ' so far';
    });
  }
  var loaded = Date.now();

  // utc writes a time as the server does: 2026-03-14 12:00 UTC.
  function utc(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return '';
    return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }

  // addEvent puts a status change the stream reported at the end of the
  // timeline, as the server would on a reload.
  function addEvent(st) {
    var list = document.getElementById('timeline');
    if (!list) return;
    var li = document.createElement('li');
    li.className = 'timeline-item timeline-' + st.tone;
    var time = document.createElement('time');
    time.setAttribute('datetime', st.now);
    time.textContent = utc(st.now);
    var badge = document.createElement('span');
    badge.className = 'badge badge-' + st.tone;
    badge.textContent = st.status;
    li.appendChild(time);
    li.appendChild(document.createTextNode(' '));
    li.appendChild(badge);
    if (st.reason) {
      var msg = document.createElement('span');
      msg.className = 'timeline-msg';
      msg.textContent = st.reason;
      li.appendChild(msg);
    }
    list.appendChild(li);
  }

  var shown = null; // the status the page shows
  function setStatus(st) {
    if (shown === null) {
      var first = document.getElementById('job-status');
      shown = first ? first.textContent : st.status;
    }
    if (st.status !== shown) addEvent(st);
    shown = st.status;
    document.querySelectorAll('[data-job-status]').forEach(function (b) {
      b.textContent = st.status;
      b.className = 'badge badge-' + st.tone;
    });
    var d = document.getElementById('job-duration');
    if (d) {
      if (st.since) stamp(d, st.since, st.now);
      else { d.removeAttribute('data-since'); d.textContent = st.duration; }
    }
  }

  function follow(log) {
    var url = log.getAttribute('data-stream');
    var last = parseInt(log.getAttribute('data-after'), 10) || 0;
    var state = document.getElementById('log-state');
    var say = function (text) { if (state) state.textContent = text; };
    var atBottom = function () { return log.scrollHeight - log.scrollTop - log.clientHeight < 24; };
    log.scrollTop = log.scrollHeight;
    if (!url || !window.EventSource || log.hasAttribute('data-ended')) return;
    var es = new EventSource(url + '?after=' + last);
    var pending = null;
    var flush = function () {
      var stick = atBottom();
      log.appendChild(pending);
      pending = null;
      if (stick) log.scrollTop = log.scrollHeight;
    };
    es.addEventListener('line', function (ev) {
      var l = JSON.parse(ev.data);
      if (l.n <= last) return; // already shown (a reconnect resends nothing older, but be sure)
      last = l.n;
      var span = document.createElement('span');
      span.className = 'log-line log-' + (/^(stdout|stderr|system)$/.test(l.stream) ? l.stream : 'stdout');
      span.setAttribute('data-n', l.n);
      span.textContent = l.line;
      if (!pending) {
        pending = document.createDocumentFragment();
        window.requestAnimationFrame(flush);
      }
      pending.appendChild(span);
    });
    es.addEventListener('skipped', function (ev) {
      var s = JSON.parse(ev.data);
      say('Lines ' + s.from + ' to ' + s.to + ' were skipped; following the rest live…');
    });
    es.addEventListener('status', function (ev) {
      var st = JSON.parse(ev.data);
      setStatus(st);
      if (!log.hasAttribute('data-ended')) say(st.status === 'queued' ? 'Waiting for the job to start…' : 'Following the log live…');
    });
    es.addEventListener('end', function (ev) {
      es.close();
      var st = JSON.parse(ev.data);
      setStatus(st);
      log.setAttribute('data-ended', '');
      say('The job ' + st.status + '; its log is complete.' + (st.status === 'completed' ? '' : ' Reload the page for the reason.'));
    });
    es.addEventListener('failure', function (ev) {
      es.close();
      say('The log could not be followed: ' + JSON.parse(ev.data).message);
    });
    es.addEventListener('error', function () {
      if (es.readyState === EventSource.CONNECTING) say('Connection lost; reconnecting…');
    });
    es.addEventListener('open', function () {
      if (!log.hasAttribute('data-ended')) say('Following the log live…');
    });
  }

  // pipeline refreshes a running pipeline's steps: every 2 seconds it
  // fetches the fragment the server renders (the DAG and the steps
  // table) and swaps it in, until the fragment says the pipeline ended.
  function pipeline(wrap) {
    var url = wrap.getAttribute('data-dag');
    var live = document.getElementById('pipeline-live');
    // A graph wider than its card opens on its middle, where a fan-out
    // and its join are.
    var dag = live && live.querySelector('.dag-wrap');
    if (dag && dag.scrollWidth > dag.clientWidth) dag.scrollLeft = (dag.scrollWidth - dag.clientWidth) / 2;
    if (!url || !live || live.hasAttribute('data-ended') || !window.fetch) return;
    var busy = false, timer = null;
    var refresh = function () {
      if (busy) return;
      busy = true;
      window.fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } }).then(function (res) {
        if (!res.ok) throw new Error('status ' + res.status);
        return res.text();
      }).then(function (html) {
        var tpl = document.createElement('template');
        tpl.innerHTML = html;
        var next = tpl.content.getElementById('pipeline-live');
        var cur = document.getElementById('pipeline-live');
        if (!next || !cur) return;
        var oldDag = cur.querySelector('.dag-wrap'), newDag = next.querySelector('.dag-wrap');
        var left = oldDag ? oldDag.scrollLeft : 0;
        cur.replaceWith(next);
        if (newDag) newDag.scrollLeft = left;
        next.querySelectorAll('[data-since]').forEach(function (el) { el._got = Date.now(); });
        if (next.hasAttribute('data-ended')) window.clearInterval(timer);
      }).catch(function () {
        // Keep the last picture; the next tick tries again.
      }).then(function () { busy = false; });
    };
    timer = window.setInterval(refresh, 2000);
  }

  function ready() {
    tick();
    window.setInterval(tick, 1000);
    var log = document.getElementById('log');
    if (log) follow(log);
    var wrap = document.getElementById('pipeline-live-wrap');
    if (wrap) pipeline(wrap);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready);
  else ready();
})();
