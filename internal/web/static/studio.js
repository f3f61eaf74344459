// Lathe studio: small conveniences on top of pages that work without this
// file. No framework, no build step.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  function ready() {
    // The workspace switcher opens the chosen workspace as soon as it is
    // picked with the mouse. Changes made with the keyboard (arrows, letters)
    // wait for Enter or the Open button, so moving through the list does not
    // leave the page.
    document.querySelectorAll('select[data-autosubmit]').forEach(function (sel) {
      var keyed = false;
      var submit = function () {
        if (!sel.form || !sel.value) return;
        if (sel.form.requestSubmit) sel.form.requestSubmit(); else sel.form.submit();
      };
      sel.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter') { ev.preventDefault(); submit(); return; }
        keyed = ev.key.length === 1 || /^(Arrow|Page|Home|End)/.test(ev.key);
      });
      sel.addEventListener('pointerdown', function () { keyed = false; });
      sel.addEventListener('change', function () {
        if (keyed) { keyed = false; return; }
        submit();
      });
    });

    // Forms that remove something ask first.
    document.querySelectorAll('form[data-confirm]').forEach(function (form) {
      form.addEventListener('submit', function (ev) {
        if (!window.confirm(form.getAttribute('data-confirm'))) ev.preventDefault();
      });
    });

    // Copy buttons copy the input they name and say so.
    document.querySelectorAll('button[data-copy]').forEach(function (btn) {
      btn.addEventListener('click', function () {
        var input = document.getElementById(btn.getAttribute('data-copy'));
        if (!input) return;
        input.focus();
        input.select();
        var done = function () { btn.textContent = 'Copied'; };
        var fallback = function () { try { document.execCommand('copy'); done(); } catch (e) { /* selected: the user copies */ } };
        if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(done, fallback);
        else fallback();
      });
    });

    // The runs table's compare form says how many runs are ticked and
    // allows 2 to 10.
    document.querySelectorAll('form[data-compare]').forEach(function (form) {
      var boxes = document.querySelectorAll('input[form="' + form.id + '"][name="runs"]');
      var label = form.querySelector('[data-compare-count]');
      var button = form.querySelector('button[type="submit"]');
      var update = function () {
        var n = 0;
        boxes.forEach(function (b) { if (b.checked) n++; });
        if (n === 0) label.textContent = 'Tick 2 to 10 runs to compare them.';
        else if (n > 10) label.textContent = n + ' runs ticked: compare at most 10.';
        else label.textContent = n + (n === 1 ? ' run ticked' : ' runs ticked') + (n < 2 ? ': tick one more.' : '.');
        button.disabled = n < 2 || n > 10;
      };
      boxes.forEach(function (b) { b.addEventListener('change', update); });
      update();
    });

    // Drag across a chart to zoom to those steps: the chart settings form
    // gets the range and is submitted, as if typed in.
    document.querySelectorAll('[data-zoom-form]').forEach(function (grid) {
      var form = document.getElementById(grid.getAttribute('data-zoom-form'));
      if (!form || !form.elements.from || !form.elements.to) return;
      grid.querySelectorAll('svg[data-zoom]').forEach(function (svg) { zoomable(svg, form); });
    });
  }

  var SVGNS = 'http://www.w3.org/2000/svg';

  function zoomable(svg, form) {
    var num = function (name) { return parseFloat(svg.getAttribute(name)); };
    var xmin = num('data-x-min'), xmax = num('data-x-max');
    var p0 = num('data-px-min'), p1 = num('data-px-max');
    var top = num('data-py-min'), bottom = num('data-py-max');
    if (!(xmax > xmin) || !(p1 > p0)) return;
    var toSVG = function (ev) {
      var m = svg.getScreenCTM();
      if (!m) return null;
      var pt = svg.createSVGPoint();
      pt.x = ev.clientX; pt.y = ev.clientY;
      return pt.matrixTransform(m.inverse());
    };
    var clamp = function (x) { return Math.min(p1, Math.max(p0, x)); };
    var start = null, rect = null;
    var clear = function () {
      if (rect && rect.parentNode) rect.parentNode.removeChild(rect);
      rect = null; start = null;
    };
    svg.addEventListener('pointerdown', function (ev) {
      if (ev.button !== 0) return;
      var p = toSVG(ev);
      if (!p || p.x < p0 || p.x > p1 || p.y < top || p.y > bottom) return;
      start = p.x;
      rect = document.createElementNS(SVGNS, 'rect');
      rect.setAttribute('class', 'zoom-sel');
      rect.setAttribute('x', start); rect.setAttribute('y', top);
      rect.setAttribute('width', 0); rect.setAttribute('height', bottom - top);
      svg.appendChild(rect);
      svg.setPointerCapture(ev.pointerId);
      ev.preventDefault();
    });
    svg.addEventListener('pointermove', function (ev) {
      if (start === null) return;
      var p = toSVG(ev);
      if (!p) return;
      var x = clamp(p.x);
      rect.setAttribute('x', Math.min(start, x));
      rect.setAttribute('width', Math.abs(x - start));
    });
    svg.addEventListener('pointerup', function (ev) {
      if (start === null) return;
      var p = toSVG(ev);
      var a = start, b = p ? clamp(p.x) : start;
      clear();
      if (Math.abs(b - a) < 4) return; // a click, not a drag
      var step = function (px) { return xmin + (px - p0) / (p1 - p0) * (xmax - xmin); };
      var from = Math.floor(step(Math.min(a, b))), to = Math.ceil(step(Math.max(a, b)));
      if (to <= from) to = from + 1;
      form.elements.from.value = String(from);
      form.elements.to.value = String(to);
      if (form.elements.x && form.elements.x.value !== undefined) {
        var radio = form.querySelector('input[name="x"][value="step"]');
        if (radio) radio.checked = true;
      }
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    });
    svg.addEventListener('pointercancel', clear);
    document.addEventListener('keydown', function (ev) { if (ev.key === 'Escape') clear(); });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready);
  else ready();
})();
