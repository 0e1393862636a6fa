// The widget in its iframe: reads the slug from its own URL, mounts the header (sort, auth,
// notifications, reports), the thread and the live stream, and tells a listed host page its
// height (postMessage, target origin checked against the listed origins).
import { h } from './dom.js';
import { t, STRINGS } from './strings.js';
import { resume, onSession, currentUser, isModerator } from './api.js';
import { authArea } from './auth.js';
import { Thread } from './thread.js';
import { startLive, notificationBell } from './live.js';
import { reportsPage } from './moderation.js';

const slug = decodeURIComponent(location.pathname.replace(/^\/embed\//, '').replace(/\/$/, ''));
const params = new URLSearchParams(location.search);
const root = document.getElementById('hindsight');

/** The parent page's origin when it is listed (or this origin, the demo); else null. */
function parentOrigin() {
  if (window.parent === window) return null;
  const claimed = params.get('origin') || location.origin;
  const meta = document.querySelector('meta[name="hindsight-embed-origins"]');
  const listed = (meta ? meta.content : '').split(/\s+/).filter(Boolean);
  return claimed === location.origin || listed.includes(claimed) ? claimed : null;
}

function reportHeight() {
  const origin = parentOrigin();
  if (!origin) return;
  let last = 0;
  const send = () => {
    const height = Math.ceil(document.documentElement.scrollHeight);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: 'hindsight:height', slug, height }, origin);
  };
  new ResizeObserver(send).observe(document.body);
  send();
}

async function main() {
  document.documentElement.lang = STRINGS.locale;
  const views = h('div', { class: 'hs-views' });
  const thread = new Thread(slug, params.get('sort') || 'best', params);
  const header = h('header', { class: 'hs-header' });
  const tools = h('div', { class: 'hs-tools' });
  const showThread = () => views.replaceChildren(thread.el);
  const reportsButton = h('button', {
    type: 'button', class: 'hs-link', text: t('reports'), hidden: true,
    onclick: () => views.replaceChildren(reportsPage(thread, showThread)),
  });
  const bell = notificationBell(thread);
  tools.append(bell.el, reportsButton, authArea());
  header.append(thread.headerEl, tools);
  root.replaceChildren(header, views);
  showThread();
  onSession(() => {
    reportsButton.hidden = !isModerator();
    bell.update(currentUser());
    thread.sessionChanged();
  });
  reportHeight();
  await resume();
  await thread.load();
  startLive(thread);
  performance.mark('hindsight:rendered');
  document.documentElement.dataset.rendered = 'true';
}

main().catch((error) => {
  root.replaceChildren(h('p', { class: 'hs-error', role: 'alert', text: t('loadFailed') }));
  console.error(error);
});
