// Live updates: the article's event stream (new comments wait behind "N new comments"; votes,
// edits, removals, forecasts, resolutions, pins and locks update in place) and, for a
// signed-in reader, the notifications bell fed by their own stream (opened with a single-use
// ticket: tokens never go into URLs).
import { h, timeEl, displayName, errorMessage } from './dom.js';
import { t, STRINGS } from './strings.js';
import { api, currentUser, reloadMe } from './api.js';
import { communityText } from './predictions.js';

const parse = (event) => {
  try {
    return JSON.parse(event.data);
  } catch {
    return null;
  }
};

/** Opens the article stream and applies its events to `thread`. */
export function startLive(thread) {
  if (!thread.article || typeof EventSource === 'undefined') return;
  const source = new EventSource(`/api/v1/articles/${encodeURIComponent(thread.slug)}/events`);
  const keepPersonal = (view) => {
    const known = thread.comments.get(view.id);
    if (!known) return view;
    const merged = { ...view, my_vote: known.my_vote, removal_reason: view.removal_reason ?? known.removal_reason };
    if (view.prediction && known.prediction) merged.prediction = { ...view.prediction, my_probability: known.prediction.my_probability };
    return merged;
  };
  source.addEventListener('comment_created', (e) => {
    const view = parse(e);
    if (view) thread.queue(view);
  });
  for (const kind of ['comment_edited', 'comment_deleted', 'comment_removed', 'comment_restored']) {
    source.addEventListener(kind, (e) => {
      const view = parse(e);
      if (view && thread.comments.has(view.id)) thread.update(keepPersonal(view));
    });
  }
  source.addEventListener('votes', (e) => {
    const v = parse(e);
    const known = v && thread.comments.get(v.comment_id);
    if (!known || (known.upvotes === v.upvotes && known.downvotes === v.downvotes)) return;
    thread.update({ id: v.comment_id, upvotes: v.upvotes, downvotes: v.downvotes, score: v.score });
  });
  source.addEventListener('forecasts', (e) => {
    const f = parse(e);
    const known = f && thread.comments.get(f.comment_id);
    if (!known || !known.prediction) return;
    const p = known.prediction;
    if (p.community_probability === f.community_probability && p.forecaster_count === f.forecaster_count) return;
    // In place: re-rendering would take the slider from under a reader moving it.
    Object.assign(p, { community_probability: f.community_probability, forecaster_count: f.forecaster_count });
    const node = thread.nodes.get(f.comment_id);
    const box = node && node.querySelector(':scope > .hs-comment .hs-prediction');
    if (!box) return;
    box.querySelector('.hs-community').textContent = communityText(p);
    const chart = box.querySelector('.hs-chart');
    if (chart) chart.src = `/api/v1/predictions/${p.id}/chart.svg?n=${f.forecaster_count}`;
  });
  source.addEventListener('prediction_resolved', async (e) => {
    const r = parse(e);
    if (!r || !thread.comments.has(r.comment_id)) return;
    const view = await api('GET', `/comments/${r.comment_id}`).catch(() => null);
    if (view) thread.update(view);
  });
  for (const kind of ['comment_pinned', 'comment_unpinned']) {
    source.addEventListener(kind, (e) => {
      const d = parse(e);
      if (d && thread.comments.has(d.comment_id)) thread.update({ id: d.comment_id, pinned: d.pinned });
    });
  }
  for (const kind of ['thread_locked', 'thread_unlocked']) {
    source.addEventListener(kind, (e) => {
      const d = parse(e);
      if (!d || !thread.article) return;
      thread.article.locked = d.locked;
      thread.article.lock_reason = d.reason;
      thread.renderArticleState();
      thread.renderComposer();
    });
  }
  source.addEventListener('reset', () => thread.reload());
  source.addEventListener('thread_deleted', () => source.close());
  thread.liveSource = source;
}

/** The bell: unread count, the list, mark all read; live through the reader's stream. */
export function notificationBell(thread) {
  const count = h('span', { class: 'hs-unread', 'aria-hidden': 'true' });
  const button = h('button', { type: 'button', class: 'hs-bell', hidden: true, 'aria-expanded': 'false' }, t('bell'), count);
  const panel = h('section', { class: 'hs-notifications', hidden: true, 'aria-label': t('notifications', { n: 0 }) });
  const el = h('div', { class: 'hs-bell-box' }, button, panel);
  let unread = 0;
  let source = null;
  let opening = false;
  let retry = null;
  const paint = () => {
    count.textContent = unread ? String(unread) : '';
    button.setAttribute('aria-label', t('notifications', { n: unread }));
    button.title = t('notifications', { n: unread });
  };
  const close = () => {
    if (source) source.close();
    source = null;
    clearTimeout(retry);
  };
  const open = async () => {
    close();
    if (!currentUser() || opening) return;
    opening = true;
    try {
      const { ticket } = await api('POST', '/me/events/ticket');
      source = new EventSource(`/api/v1/me/events?ticket=${encodeURIComponent(ticket)}`);
      source.addEventListener('notification', (e) => {
        const d = JSON.parse(e.data);
        unread = d.unread_notifications;
        paint();
        if (!panel.hidden) renderList();
      });
      source.addEventListener('unread', (e) => {
        unread = JSON.parse(e.data).unread_notifications;
        paint();
      });
      // A ticket is single-use: reconnect with a new one rather than EventSource's retry.
      source.addEventListener('error', () => {
        close();
        retry = setTimeout(open, 5000);
      });
    } catch {
      retry = setTimeout(open, 15000);
    } finally {
      opening = false;
    }
  };
  async function renderList() {
    const list = h('ol', { class: 'hs-notification-list' });
    const mark = h('button', { type: 'button', class: 'hs-link', text: t('markRead') });
    panel.replaceChildren(mark, list);
    try {
      const page = await api('GET', '/me/notifications?limit=20');
      if (!page.items.length) list.append(h('li', { text: t('noNotifications') }));
      for (const n of page.items) {
        const kind = STRINGS.notificationKinds[n.kind];
        const text = kind ? kind({ actor: displayName(n.actor) }) : t('notificationOther');
        const item = h('li', { class: n.read_at ? 'hs-read' : 'hs-unread-item' }, text, ' ', timeEl(n.created_at));
        if (n.comment && n.comment.snippet) item.append(h('q', { text: n.comment.snippet }));
        if (n.comment && thread.nodes.has(n.comment.id)) {
          item.append(' ', h('button', { type: 'button', class: 'hs-link', text: t('goToComment'), onclick: () => thread.nodes.get(n.comment.id).querySelector('article').focus() }));
        }
        list.append(item);
      }
      mark.addEventListener('click', async () => {
        if (!page.items.length) return;
        const r = await api('POST', '/me/notifications/read', { up_to_id: Math.max(...page.items.map((n) => n.id)) });
        unread = r.unread_notifications;
        paint();
        renderList();
      });
    } catch (error) {
      list.append(h('li', { text: errorMessage(error) }));
    }
  }
  button.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    button.setAttribute('aria-expanded', String(!panel.hidden));
    if (!panel.hidden) renderList();
  });
  return {
    el,
    async update(user) {
      button.hidden = !user;
      if (!user) {
        panel.hidden = true;
        close();
        return;
      }
      const me = await reloadMe().catch(() => null);
      unread = me ? me.unread_notifications : 0;
      paint();
      if (!source && !opening) open();
    },
  };
}
