// hindsight's embed loader. A host page adds
//   <div id="hindsight-thread" data-article="SLUG"></div>
//   <script src="https://COMMENTS-HOST/embed.js" async></script>
// and gets an iframe from the comments host (so the page's scripts and CSS cannot reach the
// reader's session) that grows to its content: it accepts height messages only from that
// origin and that frame.
(function () {
  'use strict';
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src) : new URL(location.href);
  var origin = base.origin;

  function mount(host) {
    if (host.dataset.hindsightMounted) return;
    var slug = host.getAttribute('data-article');
    if (!slug) return;
    host.dataset.hindsightMounted = 'true';
    var frame = document.createElement('iframe');
    var src = new URL('/embed/' + encodeURIComponent(slug), origin);
    src.searchParams.set('origin', location.origin);
    ['sort', 'limit', 'depth'].forEach(function (name) {
      var value = host.getAttribute('data-' + name);
      if (value) src.searchParams.set(name, value);
    });
    frame.src = src.href;
    frame.title = host.getAttribute('data-title') || 'Comments';
    frame.setAttribute('loading', 'lazy');
    frame.setAttribute('referrerpolicy', 'strict-origin-when-cross-origin');
    frame.style.cssText = 'width:100%;min-height:320px;border:0;display:block;color-scheme:normal';
    frame.scrolling = 'no';
    window.addEventListener('message', function (event) {
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      var data = event.data;
      if (!data || data.type !== 'hindsight:height' || typeof data.height !== 'number') return;
      frame.style.height = Math.max(120, Math.min(data.height, 200000)) + 'px';
    });
    host.replaceChildren(frame);
  }

  function mountAll() {
    var hosts = document.querySelectorAll('#hindsight-thread, [data-hindsight-thread]');
    for (var i = 0; i < hosts.length; i++) mount(hosts[i]);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mountAll);
  else mountAll();
})();
