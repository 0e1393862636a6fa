// Writing: a new comment (optionally with a prediction), a reply or an edit. Markdown with a
// preview rendered by the server (POST /preview, the same sanitiser as the thread); problems
// are shown next to the field their `errors` entry names.
import { h, field, formError, showErrors, clearErrors, setServerHtml, displayName, nextId, errorMessage } from './dom.js';
import { t } from './strings.js';
import { api } from './api.js';

/** The default deadline offered: a month ahead, as a datetime-local value. */
function inAMonth() {
  const d = new Date(Date.now() + 30 * 864e5);
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

function predictionFields() {
  const claim = h('input', { type: 'text', maxlength: 280 });
  const probability = h('input', { type: 'range', min: 1, max: 99, step: 1, value: 50 });
  const probabilityLabel = field(t('probability', { p: 50 }), probability, 'prediction.probability');
  probability.addEventListener('input', () => {
    probabilityLabel.querySelector('label').textContent = t('probability', { p: probability.value });
    probability.setAttribute('aria-valuetext', `${probability.value}%`);
  });
  const deadline = h('input', { type: 'datetime-local', value: inAMonth() });
  const criteria = h('textarea', { rows: 2, maxlength: 1000 });
  const box = h('fieldset', { class: 'hs-prediction-fields', hidden: true },
    h('legend', { text: t('prediction') }),
    field(t('claim'), claim, 'prediction.claim'), probabilityLabel,
    field(t('deadline'), deadline, 'prediction.resolves_at'),
    field(t('criteria'), criteria, 'prediction.criteria'));
  const value = () => ({
    claim: claim.value,
    probability: Number(probability.value) / 100,
    resolves_at: deadline.value ? new Date(deadline.value).toISOString() : '',
    criteria: criteria.value.trim() || null,
  });
  return { box, value };
}

/**
 * A comment form. `parent`: a reply; `comment`: an edit; neither: a new top-level comment.
 * `onDone(view)` receives the comment as the server answers it.
 */
export function composer(thread, { parent = null, comment = null, onDone, onCancel } = {}) {
  const label = comment ? t('editLabel') : parent ? t('replyLabel', { name: displayName(parent.author) }) : t('composeLabel');
  const text = h('textarea', { rows: parent || comment ? 3 : 4, maxlength: 10000, required: true });
  if (comment) text.value = comment.body || '';
  const preview = h('div', { class: 'hs-preview hs-body', hidden: true, 'aria-live': 'polite', id: nextId('pv') });
  const writeTab = h('button', { type: 'button', class: 'hs-tab', 'aria-pressed': 'true', text: t('write') });
  const previewTab = h('button', { type: 'button', class: 'hs-tab', 'aria-pressed': 'false', 'aria-controls': preview.id, text: t('preview') });
  const bodyField = field(label, text, 'body');
  const submit = h('button', { type: 'submit', class: 'hs-primary', text: comment ? t('save') : parent ? t('postReply') : t('post') });
  const form = h('form', { class: 'hs-form hs-composer', novalidate: true },
    h('div', { class: 'hs-tabs' }, writeTab, previewTab), bodyField, preview);
  let prediction = null;
  if (!parent && !comment) {
    prediction = predictionFields();
    const toggle = h('input', { type: 'checkbox' });
    const id = nextId('pt');
    toggle.id = id;
    toggle.addEventListener('change', () => { prediction.box.hidden = !toggle.checked; });
    form.append(h('div', { class: 'hs-check' }, toggle, h('label', { for: id, text: t('addPrediction') })), prediction.box);
  }
  form.append(formError(), h('div', { class: 'hs-buttons' }, submit,
    onCancel ? h('button', { type: 'button', class: 'hs-link', text: t('cancel'), onclick: onCancel }) : null));

  writeTab.addEventListener('click', () => {
    writeTab.setAttribute('aria-pressed', 'true');
    previewTab.setAttribute('aria-pressed', 'false');
    preview.hidden = true;
    bodyField.hidden = false;
    text.focus();
  });
  previewTab.addEventListener('click', async () => {
    writeTab.setAttribute('aria-pressed', 'false');
    previewTab.setAttribute('aria-pressed', 'true');
    bodyField.hidden = true;
    preview.hidden = false;
    if (!text.value.trim()) {
      preview.textContent = t('previewEmpty');
      return;
    }
    try {
      const rendered = await api('POST', '/preview', { body: text.value });
      setServerHtml(preview, rendered.body_html);
    } catch (error) {
      preview.textContent = errorMessage(error);
    }
  });
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (bodyField.hidden) writeTab.click();
    submit.disabled = true;
    try {
      let view;
      if (comment) view = await api('PATCH', `/comments/${comment.id}`, { body: text.value });
      else {
        const request = { body: text.value, parent_id: parent ? parent.id : null };
        if (prediction && !prediction.box.hidden) request.prediction = prediction.value();
        view = await api('POST', `/articles/${encodeURIComponent(thread.slug)}/comments`, request);
      }
      text.value = '';
      if (prediction) form.replaceWith(composer(thread, { parent, comment, onDone, onCancel }));
      onDone(view);
    } catch (error) {
      showErrors(form, error);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
