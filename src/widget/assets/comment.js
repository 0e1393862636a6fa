// One comment: header (author card, time, badges), the server-sanitised body, its prediction,
// votes with immediate feedback, actions (reply, edit, delete, report, moderation), collapse,
// and the links to more replies or to the rest of the thread.
import { h, timeEl, setServerHtml, displayName, errorMessage, field, formError, showErrors } from './dom.js';
import { t, STRINGS } from './strings.js';
import { api, currentUser, isModerator } from './api.js';
import { composer } from './compose.js';
import { renderPrediction } from './predictions.js';
import { userCard } from './users.js';
import { moderationActions } from './moderation.js';

/** The <li> of comment `c`; `base` is the depth of the view's left edge. */
export function renderComment(thread, c, base) {
  const me = currentUser();
  const name = displayName(c.author);
  const live = !c.deleted && !c.removed;
  const mine = !!(me && c.author && c.author.id === me.id);
  const li = h('li', { class: 'hs-item', id: `c${c.id}`, 'data-id': c.id, 'data-base': base });
  const slot = h('div', { class: 'hs-slot' });
  const replies = h('ol', { class: 'hs-replies' });
  const bodyId = `c${c.id}-body`;

  const toggle = h('button', {
    type: 'button', class: 'hs-toggle', 'aria-expanded': 'true',
    'aria-label': t('collapseLabel', { name }), text: STRINGS.symbols.collapse,
    onclick: () => {
      const collapsed = li.classList.toggle('hs-collapsed');
      toggle.setAttribute('aria-expanded', String(!collapsed));
      toggle.textContent = collapsed ? STRINGS.symbols.expand : STRINGS.symbols.collapse;
      toggle.setAttribute('aria-label', collapsed ? t('expandLabel', { name }) : t('collapseLabel', { name }));
      toggle.title = collapsed ? t('expand', { n: c.descendant_count }) : t('collapse');
    },
  });
  toggle.title = t('collapse');

  const author = c.author
    ? h('button', { type: 'button', class: 'hs-author', text: name, onclick: () => openCard() })
    : h('span', { class: 'hs-author', text: name });
  const header = h('header', { class: 'hs-meta' }, toggle, author,
    c.author && c.author.track_record
      ? h('span', { class: 'hs-badge', title: t('trackRecordBadge', { s: c.author.track_record.mean_brier.toFixed(3), n: c.author.track_record.scored_forecasts }), text: `${STRINGS.symbols.badge} ${c.author.track_record.mean_brier.toFixed(2)}` })
      : null,
    timeEl(c.created_at),
    c.edited_at ? h('span', { class: 'hs-edited', text: t('edited') }) : null,
    c.pinned ? h('span', { class: 'hs-pinned', text: t('pinned') }) : null);

  let body;
  if (c.deleted) body = h('p', { class: 'hs-placeholder', text: t('deletedComment') });
  else if (c.removed && !c.body_html) body = h('p', { class: 'hs-placeholder', text: t('removedComment') });
  else {
    body = h('div', { class: 'hs-body', id: bodyId });
    setServerHtml(body, c.body_html);
  }
  const removalNote = c.removed
    ? h('p', { class: 'hs-removed', text: c.removal_reason ? t('removedBecause', { reason: c.removal_reason }) : t('removedComment') })
    : null;

  const actions = h('div', { class: 'hs-actions' });
  if (live) actions.append(votes(thread, c, name, mine));
  const openSlot = (content) => {
    slot.replaceChildren(content);
    const first = content.querySelector('textarea, input, select, button');
    if (first) first.focus();
  };
  const closeSlot = (focusEl) => {
    slot.replaceChildren();
    if (focusEl) focusEl.focus();
  };
  function openCard() {
    if (slot.querySelector('.hs-card')) return closeSlot(author);
    openSlot(userCard(thread, c.author, () => closeSlot(author)));
  }
  if (me && live && !thread.article?.locked) {
    const replyButton = h('button', { type: 'button', class: 'hs-link', text: t('reply'), onclick: () => openSlot(composer(thread, {
      parent: c, onDone: (r) => { closeSlot(); thread.addComment(r, true); }, onCancel: () => closeSlot(replyButton),
    })) });
    actions.append(replyButton);
  }
  if (mine && live) {
    const editButton = h('button', { type: 'button', class: 'hs-link', text: t('edit'), onclick: () => openSlot(composer(thread, {
      comment: c, onDone: (updated) => { thread.update(updated); thread.nodes.get(c.id)?.querySelector('article').focus(); }, onCancel: () => closeSlot(editButton),
    })) });
    actions.append(editButton);
  }
  if (mine && !c.deleted) {
    const deleteButton = h('button', { type: 'button', class: 'hs-link', text: t('delete'), onclick: () => openSlot(confirmDelete(thread, c, () => closeSlot(deleteButton))) });
    actions.append(deleteButton);
  }
  if (me && !mine && live) {
    const reportButton = h('button', { type: 'button', class: 'hs-link', text: t('report'), onclick: () => openSlot(reportForm(c, () => closeSlot(reportButton))) });
    actions.append(reportButton);
  }
  if (isModerator()) actions.append(...moderationActions(thread, c, openSlot, closeSlot));

  const article = h('article', { class: 'hs-comment', tabindex: '-1', 'aria-label': name },
    header, body, removalNote,
    c.prediction && (live || c.prediction.claim) ? renderPrediction(thread, c) : null,
    actions, slot);
  li.append(article, replies);

  const cut = c.depth - base >= thread.depth - 1;
  if (c.more_replies > 0 || (cut && c.reply_count > 0 && !(c.replies || []).length)) {
    const more = cut && !(c.replies || []).length
      ? h('button', { type: 'button', class: 'hs-link hs-more-replies', text: t('continueThread'), onclick: () => thread.focus(c.id) })
      : h('button', { type: 'button', class: 'hs-link hs-more-replies', text: t('moreReplies', { n: c.more_replies }), onclick: () => thread.expandReplies(c.id) });
    li.append(more);
  }
  return li;
}

/** Up and down buttons with the score: updated at once, reconciled with the answer. */
function votes(thread, c, name, mine) {
  const score = h('span', { class: 'hs-score', text: t('points', { n: c.score }) });
  const box = h('span', { class: 'hs-votes' });
  const error = h('span', { class: 'hs-inline-error', role: 'alert' });
  const can = !!currentUser() && !mine;
  const button = (value, label, sign) => h('button', {
    type: 'button', class: `hs-vote hs-vote-${value > 0 ? 'up' : 'down'}`,
    'aria-pressed': String(c.my_vote === value), 'aria-label': t(label, { name }), disabled: !can, text: sign,
    onclick: () => cast(c.my_vote === value ? 0 : value),
  });
  const up = button(1, 'upvoteLabel', STRINGS.symbols.up);
  const down = button(-1, 'downvoteLabel', STRINGS.symbols.down);
  const paint = () => {
    up.setAttribute('aria-pressed', String(c.my_vote === 1));
    down.setAttribute('aria-pressed', String(c.my_vote === -1));
    score.textContent = t('points', { n: c.score });
  };
  async function cast(value) {
    const before = { my_vote: c.my_vote, score: c.score, upvotes: c.upvotes, downvotes: c.downvotes };
    const old = c.my_vote || 0;
    c.score += value - old;
    c.my_vote = value;
    paint();
    error.textContent = '';
    try {
      const result = await api('PUT', `/comments/${c.id}/vote`, { value });
      Object.assign(c, { score: result.score, upvotes: result.upvotes, downvotes: result.downvotes, my_vote: result.my_vote });
    } catch (e) {
      Object.assign(c, before);
      error.textContent = errorMessage(e);
    }
    paint();
  }
  box.append(up, score, down, error);
  return box;
}

function confirmDelete(thread, c, close) {
  const error = formError();
  return h('div', { class: 'hs-confirm', role: 'group' },
    h('p', { text: t('confirmDelete') }), error,
    h('button', { type: 'button', class: 'hs-danger', text: t('confirmYes'), onclick: async () => {
      try {
        await api('DELETE', `/comments/${c.id}`);
        const fresh = await api('GET', `/comments/${c.id}`).catch(() => null);
        if (fresh) thread.update(fresh);
        else thread.nodes.get(c.id)?.remove();
      } catch (e) {
        error.hidden = false;
        error.textContent = errorMessage(e);
      }
    } }),
    h('button', { type: 'button', class: 'hs-link', text: t('cancel'), onclick: close }));
}

function reportForm(c, close) {
  const reason = h('textarea', { rows: 2, maxlength: 500, required: true });
  const form = h('form', { class: 'hs-form', novalidate: true },
    field(t('reportReason'), reason, 'reason'), formError(),
    h('div', { class: 'hs-buttons' },
      h('button', { type: 'submit', text: t('reportSend') }),
      h('button', { type: 'button', class: 'hs-link', text: t('cancel'), onclick: close })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', `/comments/${c.id}/reports`, { reason: reason.value });
      form.replaceChildren(h('p', { role: 'status', text: t('reported') }));
    } catch (e) {
      showErrors(form, e);
    }
  });
  return form;
}
