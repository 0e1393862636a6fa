// The thread: the article's comments under a sort, paged ("load more"), with the subtree view
// of "continue this thread"; keeps each comment's data and node so edits, votes and live
// events update one comment in place.
import { h, refreshTimes, errorMessage } from './dom.js';
import { t, STRINGS } from './strings.js';
import { api, currentUser } from './api.js';
import { renderComment } from './comment.js';
import { composer } from './compose.js';
import { lockControl } from './moderation.js';

/** Levels fetched at once (the top level included), top-level comments per page, replies
 * per comment: the API's defaults, or `depth`/`limit` from the page URL (bounded as the API). */
const DEPTH = 4;
const PAGE = 20;
const REPLIES = 5;
const bounded = (value, min, max, fallback) => {
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
};

export class Thread {
  constructor(slug, sort, params = new URLSearchParams()) {
    this.slug = slug;
    this.depth = bounded(params.get('depth'), 1, 10, DEPTH);
    this.pageSize = bounded(params.get('limit'), 1, 100, PAGE);
    this.sort = sort in STRINGS.sorts ? sort : 'best';
    this.comments = new Map();
    this.nodes = new Map();
    this.article = null;
    this.cursor = null;
    this.focusRoot = null;
    this.pending = [];
    this.el = h('section', { class: 'hs-thread', 'aria-label': t('title') });
    this.countEl = h('h2', { class: 'hs-count', text: t('title') });
    const sortId = 'hs-sort';
    this.sortEl = h('select', { id: sortId, onchange: () => this.changeSort(this.sortEl.value) },
      Object.entries(STRINGS.sorts).map(([value, label]) => h('option', { value, text: label, selected: value === this.sort })));
    this.headerEl = h('div', { class: 'hs-title' }, this.countEl,
      h('span', { class: 'hs-sort' }, h('label', { for: sortId, text: t('sortLabel') }), this.sortEl));
    this.lockEl = h('p', { class: 'hs-locked', role: 'status', hidden: true });
    this.lockTools = h('div', { class: 'hs-lock-tools' });
    this.composeSlot = h('div', { class: 'hs-compose-slot' });
    this.liveButton = h('button', { type: 'button', class: 'hs-live', hidden: true, onclick: () => this.showPending() });
    this.backButton = h('button', { type: 'button', class: 'hs-link', hidden: true, text: t('backToThread'), onclick: () => this.unfocus() });
    this.list = h('ol', { class: 'hs-list', 'aria-live': 'off' });
    this.moreButton = h('button', { type: 'button', class: 'hs-more', hidden: true, text: t('loadMore'), onclick: () => this.loadPage() });
    this.status = h('p', { class: 'hs-status', role: 'status', text: t('loading') });
    this.el.append(this.lockEl, this.lockTools, this.composeSlot, this.liveButton, this.backButton, this.status, this.list, this.moreButton);
    setInterval(() => refreshTimes(this.el), 60e3);
  }

  /** First load: the article (lock, count) and the first page. */
  async load() {
    try {
      this.article = await api('GET', `/articles/${encodeURIComponent(this.slug)}`);
    } catch (error) {
      this.status.textContent = error.status === 404 ? t('notFound') : errorMessage(error);
      return;
    }
    this.renderArticleState();
    this.renderComposer();
    await this.loadPage(true);
  }

  renderArticleState() {
    const a = this.article;
    this.countEl.textContent = t('commentCount', { n: a.comment_count });
    this.lockEl.hidden = !a.locked;
    this.lockEl.textContent = a.locked ? t('locked', { reason: a.lock_reason }) : '';
    this.lockTools.replaceChildren(lockControl(this));
  }

  renderComposer() {
    if (!this.article) return;
    if (this.article.locked) this.composeSlot.replaceChildren();
    else if (currentUser()) this.composeSlot.replaceChildren(composer(this, { onDone: (c) => this.addComment(c, true) }));
    else this.composeSlot.replaceChildren(h('p', { class: 'hs-hint', text: t('signInToComment') }));
  }

  /** The signed-in user changed: my_vote and actions depend on who reads. */
  sessionChanged() {
    if (!this.article) return;
    this.renderArticleState();
    this.renderComposer();
    this.reload();
  }

  query(extra = {}) {
    const q = new URLSearchParams({ sort: this.sort, depth: this.depth, replies_limit: REPLIES, ...extra });
    return q.toString();
  }

  async loadPage(first = false) {
    if (first) this.cursor = null;
    this.moreButton.disabled = true;
    try {
      const extra = { limit: this.pageSize };
      if (this.cursor) extra.cursor = this.cursor;
      const page = await api('GET', `/articles/${encodeURIComponent(this.slug)}/comments?${this.query(extra)}`);
      if (first) this.clear();
      for (const c of page.items) this.list.append(this.render(c, 0));
      this.cursor = page.next_cursor;
      this.moreButton.hidden = !this.cursor;
      this.status.hidden = true;
      this.status.textContent = '';
    } catch (error) {
      this.status.hidden = false;
      this.status.textContent = errorMessage(error);
    } finally {
      this.moreButton.disabled = false;
    }
  }

  clear() {
    this.comments.clear();
    this.nodes.clear();
    this.list.replaceChildren();
    this.pending = [];
    this.updateLiveButton();
  }

  async reload() {
    if (this.focusRoot) return this.focus(this.focusRoot);
    return this.loadPage(true);
  }

  changeSort(sort) {
    this.sort = sort;
    this.reload();
  }

  /** Renders a comment and its nested replies; `base` is the depth shown at the left edge. */
  render(c, base) {
    this.comments.set(c.id, c);
    const node = renderComment(this, c, base);
    this.nodes.set(c.id, node);
    const replies = node.querySelector(':scope > .hs-replies');
    for (const r of c.replies || []) replies.append(this.render(r, base));
    return node;
  }

  /** Replaces one comment's node (its replies kept) after an edit, vote or event. */
  update(c) {
    const old = this.nodes.get(c.id);
    const known = this.comments.get(c.id);
    if (!old || !known) return;
    const merged = { ...known, ...c, replies: [] };
    this.comments.set(c.id, merged);
    const node = renderComment(this, merged, Number(old.dataset.base || 0));
    node.querySelector(':scope > .hs-replies').replaceWith(old.querySelector(':scope > .hs-replies'));
    if (old.classList.contains('hs-collapsed')) node.classList.add('hs-collapsed');
    this.nodes.set(c.id, node);
    old.replaceWith(node);
  }

  /** Adds a new comment where it belongs (mine: focused, at the top of its siblings). */
  addComment(c, mine = false) {
    if (this.nodes.has(c.id)) return;
    let node;
    if (c.parent_id == null) {
      if (this.focusRoot) return;
      node = this.render(c, 0);
      this.list.prepend(node);
      if (this.article) this.article.comment_count += 1;
    } else {
      const parent = this.nodes.get(c.parent_id);
      if (!parent) return;
      node = this.render(c, Number(parent.dataset.base || 0));
      parent.querySelector(':scope > .hs-replies').prepend(node);
      parent.classList.remove('hs-collapsed');
    }
    if (this.article) this.countEl.textContent = t('commentCount', { n: this.article.comment_count });
    if (mine) node.querySelector('.hs-body, .hs-placeholder')?.closest('article')?.focus();
  }

  /** Shows a comment and all its replies alone ("continue this thread"). */
  async focus(id) {
    this.focusRoot = id;
    try {
      const [root, page] = await Promise.all([
        api('GET', `/comments/${id}`),
        api('GET', `/comments/${id}/replies?${this.query({ limit: 50 })}`),
      ]);
      this.clear();
      root.replies = page.items;
      this.list.append(this.render(root, root.depth));
      this.moreButton.hidden = true;
      this.backButton.hidden = false;
      this.backButton.focus();
    } catch (error) {
      this.status.hidden = false;
      this.status.textContent = errorMessage(error);
    }
  }

  unfocus() {
    this.focusRoot = null;
    this.backButton.hidden = true;
    this.loadPage(true);
  }

  /** "N more replies": the comment's replies again, all of them (up to 50). */
  async expandReplies(id) {
    const node = this.nodes.get(id);
    const c = this.comments.get(id);
    if (!node || !c) return;
    const page = await api('GET', `/comments/${id}/replies?${this.query({ limit: 50 })}`);
    const list = node.querySelector(':scope > .hs-replies');
    const first = !list.firstElementChild;
    list.replaceChildren();
    for (const r of page.items) list.append(this.render(r, Number(node.dataset.base || 0)));
    c.more_replies = 0;
    node.querySelector(':scope > .hs-more-replies')?.remove();
    const target = first ? list.querySelector('article') : null;
    if (target) target.focus();
  }

  /** Live: a comment created by someone else waits behind the "N new comments" button. */
  queue(c) {
    if (this.nodes.has(c.id) || this.pending.some((p) => p.id === c.id)) return;
    // A reply under a comment not on screen has nowhere to appear: its parent's count tells.
    if (c.parent_id != null && !this.nodes.has(c.parent_id)) return;
    if (currentUser() && c.author && c.author.id === currentUser().id) return this.addComment(c);
    this.pending.push(c);
    this.updateLiveButton();
  }

  updateLiveButton() {
    this.liveButton.hidden = this.pending.length === 0;
    this.liveButton.textContent = t('newComments', { n: this.pending.length });
  }

  showPending() {
    const items = this.pending.sort((a, b) => a.id - b.id);
    this.pending = [];
    for (const c of items) this.addComment(c);
    this.updateLiveButton();
    const first = items.length && this.nodes.get(items[items.length - 1].id);
    if (first) first.querySelector('article').focus();
  }
}

