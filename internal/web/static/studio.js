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
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready);
  else ready();
})();
