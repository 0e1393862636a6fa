// Moderators' tools: remove or restore a comment with a reason, pin, lock the thread, and the
// reports page (open report groups, each resolved by dismissing or removing).
import { h, field, formError, showErrors, displayName, setServerHtml, timeEl, errorMessage } from './dom.js';
import { t } from './strings.js';
import { api, isModerator } from './api.js';

function reasonForm(label, send, action, close) {
  const reason = h('input', { type: 'text', maxlength: 500, required: true });
  const form = h('form', { class: 'hs-form', novalidate: true }, field(label, reason, 'reason'), formError(),
    h('div', { class: 'hs-buttons' }, h('button', { type: 'submit', class: 'hs-danger', text: send }),
      h('button', { type: 'button', class: 'hs-link', text: t('cancel'), onclick: close })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await action(reason.value);
    } catch (error) {
      showErrors(form, error);
    }
  });
  return form;
}

/** The moderation buttons of comment `c`. */
export function moderationActions(thread, c, openSlot, closeSlot) {
  const buttons = [];
  const refresh = async () => thread.update(await api('GET', `/comments/${c.id}`));
  if (c.removed) {
    buttons.push(h('button', { type: 'button', class: 'hs-link', text: t('restore'), onclick: async () => {
      await api('DELETE', `/comments/${c.id}/removal`).then(refresh).catch((e) => alertIn(thread, c, e));
    } }));
  } else if (!c.deleted) {
    const remove = h('button', { type: 'button', class: 'hs-link', text: t('remove'), onclick: () => openSlot(
      reasonForm(t('removeReason'), t('removeSend'), async (reason) => {
        await api('POST', `/comments/${c.id}/removal`, { reason });
        await refresh();
      }, () => closeSlot(remove))) });
    buttons.push(remove);
  }
  if (c.parent_id == null && !c.deleted && !c.removed) {
    buttons.push(h('button', { type: 'button', class: 'hs-link', text: c.pinned ? t('unpin') : t('pin'), onclick: async () => {
      await api('PUT', `/comments/${c.id}/pin`, { pinned: !c.pinned }).then(refresh).catch((e) => alertIn(thread, c, e));
    } }));
  }
  return buttons;
}

function alertIn(thread, c, error) {
  const node = thread.nodes.get(c.id);
  const slot = node && node.querySelector('.hs-slot');
  if (slot) slot.replaceChildren(h('p', { class: 'hs-form-error', role: 'alert', text: errorMessage(error) }));
}

/** Lock / unlock for moderators, above the thread. */
export function lockControl(thread) {
  if (!isModerator() || !thread.article) return h('span');
  const box = h('div', { class: 'hs-lock-control' });
  const a = thread.article;
  const apply = async (locked, reason) => {
    thread.article = { ...a, ...(await api('PUT', `/articles/${encodeURIComponent(thread.slug)}/lock`, { locked, reason })) };
    thread.article.locked = locked;
    thread.article.lock_reason = locked ? reason : null;
    thread.renderArticleState();
    thread.renderComposer();
  };
  if (a.locked) box.append(h('button', { type: 'button', class: 'hs-link', text: t('unlock'), onclick: () => apply(false, null).catch((e) => { box.append(h('p', { role: 'alert', text: errorMessage(e) })); }) }));
  else {
    const open = h('button', { type: 'button', class: 'hs-link', text: t('lock'), onclick: () => {
      const form = reasonForm(t('lockReason'), t('lock'), (reason) => apply(true, reason), () => { form.remove(); open.focus(); });
      box.append(form);
      form.querySelector('input').focus();
    } });
    box.append(open);
  }
  return box;
}

/** The reports page: open report groups with their comment and reasons, resolved one by one. */
export function reportsPage(thread, back) {
  const list = h('ol', { class: 'hs-reports' });
  const status = h('p', { role: 'status', text: t('loading') });
  const page = h('section', { class: 'hs-reports-page', 'aria-label': t('reportsTitle') },
    h('h2', { text: t('reportsTitle'), tabindex: '-1' }),
    h('button', { type: 'button', class: 'hs-link', text: t('backToThread'), onclick: back }),
    status, list);
  api('GET', '/reports?status=open&limit=50').then((groups) => {
    status.textContent = groups.items.length ? '' : t('noReports');
    for (const g of groups.items) list.append(reportGroup(g, status));
  }).catch((error) => { status.textContent = errorMessage(error); });
  queueMicrotask(() => page.querySelector('h2').focus());
  return page;
}

function reportGroup(g, status) {
  const c = g.comment;
  const body = h('div', { class: 'hs-body' });
  setServerHtml(body, c.body_html || '');
  const reason = h('input', { type: 'text', maxlength: 500 });
  const action = h('select', {}, h('option', { value: 'dismiss', text: t('dismiss') }), h('option', { value: 'remove', text: t('remove') }));
  const form = h('form', { class: 'hs-form', novalidate: true },
    field(t('resolve'), action, 'action'), field(t('resolveReason'), reason, 'reason'), formError(),
    h('div', { class: 'hs-buttons' }, h('button', { type: 'submit', text: t('resolveSend') })));
  const item = h('li', { class: 'hs-report' },
    h('p', { class: 'hs-meta' }, h('strong', { text: displayName(c.author) }), ' ', timeEl(c.created_at), ' · ', t('reportCount', { n: g.report_count })),
    body,
    h('ul', {}, g.reports.map((r) => h('li', { text: t('reportBy', { name: displayName(r.reporter), reason: r.reason }) }))),
    form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', `/reports/${c.id}/resolution`, { action: action.value, reason: reason.value });
      item.replaceChildren(h('p', { role: 'status', text: t('done') }));
    } catch (error) {
      showErrors(form, error);
    }
  });
  return item;
}
