// DOM helpers: every element is built with DOM APIs and textContent; the only HTML inserted
// is the server's sanitised `body_html` (setServerHtml).
import { t, STRINGS } from './strings.js';

let uid = 0;
/** A unique id for label/aria wiring. */
export const nextId = (prefix) => `${prefix}-${++uid}`;

/** Builds an element: attributes (on* functions become listeners), then children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces the children of `el` with the server-sanitised HTML `html` (comment bodies). */
export function setServerHtml(el, html) {
  const template = document.createElement('template');
  template.innerHTML = html || '';
  for (const a of template.content.querySelectorAll('a')) {
    a.target = '_blank';
    a.rel = 'nofollow ugc noopener noreferrer';
  }
  el.replaceChildren(template.content);
}

const rtf = new Intl.RelativeTimeFormat(STRINGS.locale, { numeric: 'auto' });

/** A date and time in the strings' language (tooltips). */
export const fullDate = (iso) => new Date(iso).toLocaleString(STRINGS.locale);
const UNITS = [['year', 31536e6], ['month', 2592e6], ['week', 6048e5], ['day', 864e5], ['hour', 36e5], ['minute', 6e4]];

/** "3 minutes ago", "in 2 days". */
export function relativeTime(iso, now = Date.now()) {
  const diff = new Date(iso).getTime() - now;
  if (Math.abs(diff) < 45e3) return t('justNow');
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms || unit === 'minute') return rtf.format(Math.round(diff / ms), unit);
  }
  return '';
}

/** A <time> element showing a relative time, refreshed by refreshTimes(). */
export function timeEl(iso) {
  const el = h('time', { datetime: iso, title: fullDate(iso) });
  el.textContent = relativeTime(iso);
  return el;
}

/** Updates every relative time under `root`. */
export function refreshTimes(root) {
  for (const el of root.querySelectorAll('time[datetime]')) el.textContent = relativeTime(el.dateTime);
}

/** The name shown for a user. */
export const displayName = (user) => (user ? user.display_name || user.username : t('deletedUser'));

/**
 * A labelled field: the input, its label, and a place for its errors (aria-describedby).
 * `name` is the field the API's problem `errors` names.
 */
export function field(label, input, name) {
  const id = nextId('f');
  input.id = id;
  input.dataset.field = name;
  const error = h('p', { class: 'hs-field-error', id: `${id}-err`, role: 'alert', hidden: true });
  input.setAttribute('aria-describedby', error.id);
  return h('div', { class: 'hs-field' }, h('label', { for: id, text: label }), input, error);
}

/** Clears the errors of a form. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll('.hs-field-error, .hs-form-error')) {
    el.hidden = true;
    el.textContent = '';
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/**
 * Shows an API error in a form: each entry of the problem's `errors` next to the field it
 * names (or the form's own message), the detail otherwise; focuses the first bad field.
 */
export function showErrors(form, error) {
  clearErrors(form);
  const general = form.querySelector('.hs-form-error');
  const problem = error && error.problem;
  let first = null;
  const unplaced = [];
  for (const entry of (problem && problem.errors) || []) {
    const input = form.querySelector(`[data-field="${CSS.escape(entry.field)}"]`);
    const box = input && form.querySelector(`#${CSS.escape(input.id)}-err`);
    if (box) {
      box.textContent = entry.message;
      box.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      first = first || input;
    } else unplaced.push(entry.message);
  }
  let message = unplaced.join(' ');
  if (!first && !message) message = errorMessage(error);
  if (general && message) {
    general.textContent = message;
    general.hidden = false;
  }
  if (first) first.focus();
}

/** A readable message for an API or network error. */
export function errorMessage(error) {
  if (!error) return t('problem');
  if (error.status === 0) return t('networkError');
  if (error.status === 429) return t('rateLimited', { s: error.retryAfter || 60 });
  return (error.problem && error.problem.detail) || t('problem');
}

/** A form-level error line. */
export const formError = () => h('p', { class: 'hs-form-error', role: 'alert', hidden: true });

/** Percent text of a probability. */
export const pct = (p) => Math.round(p * 100);
