// The user card: profile (role, karma, joined), the forecaster badge from the track record,
// the calibration chart (calibration.svg); moderators ban or lift a ban here.
import { h, field, formError, showErrors, displayName, relativeTime, errorMessage } from './dom.js';
import { t } from './strings.js';
import { api, isModerator, currentUser } from './api.js';

/** A card about `author` (a CommentAuthor), closed by `close`. */
export function userCard(thread, author, close) {
  const name = displayName(author);
  const body = h('div', { class: 'hs-card-body', text: t('loading') });
  const card = h('section', { class: 'hs-card', 'aria-label': t('userCard', { name }) },
    h('header', { class: 'hs-card-head' }, h('h3', { text: name }),
      h('button', { type: 'button', class: 'hs-link', text: t('close'), onclick: close })),
    body);
  load(author, body).catch((error) => { body.textContent = errorMessage(error); });
  return card;
}

async function load(author, body) {
  const user = encodeURIComponent(author.username);
  const [profile, record] = await Promise.all([
    api('GET', `/users/${user}`),
    api('GET', `/users/${user}/track-record`).catch(() => null),
  ]);
  const name = displayName(profile);
  const badge = record && record.scored_forecasts > 0
    ? h('p', { class: 'hs-badge hs-forecaster', text: t('badge', { n: record.scored_forecasts, s: record.mean_brier.toFixed(3) }) })
    : h('p', { class: 'hs-nobadge', text: t('noBadge') });
  body.replaceChildren(
    h('p', { class: 'hs-card-facts' },
      h('span', { class: 'hs-role', text: t(`role.${profile.role}`) }), ' · ',
      h('span', { class: 'hs-karma', text: t('karma', { n: profile.karma }) }), ' · ',
      h('span', { text: t('joined', { when: relativeTime(profile.created_at) }) })),
    profile.bio ? h('p', { class: 'hs-bio', text: profile.bio }) : null,
    badge,
    record && record.scored_forecasts > 0
      ? h('img', { class: 'hs-calibration', width: 240, height: 240, alt: t('calibration', { name }), src: `/api/v1/users/${user}/calibration.svg` })
      : null);
  const me = currentUser();
  if (isModerator() && (!me || me.username !== profile.username)) body.append(banControls(profile));
}

function banControls(profile) {
  const user = encodeURIComponent(profile.username);
  const reason = h('input', { type: 'text', maxlength: 500 });
  const until = h('input', { type: 'datetime-local' });
  const removeAll = h('input', { type: 'checkbox', id: `ban-rm-${profile.id}` });
  const status = h('p', { role: 'status', class: 'hs-status' });
  const form = h('form', { class: 'hs-form hs-ban', novalidate: true },
    field(t('banReason'), reason, 'reason'), field(t('banUntil'), until, 'expires_at'),
    h('div', { class: 'hs-check' }, removeAll, h('label', { for: removeAll.id, text: t('banRemoveContent') })),
    formError(),
    h('div', { class: 'hs-buttons' }, h('button', { type: 'submit', class: 'hs-danger', text: t('banSend') }),
      h('button', { type: 'button', class: 'hs-link', text: t('unban'), onclick: async () => {
        try {
          await api('DELETE', `/users/${user}/ban`);
          status.textContent = t('done');
        } catch (error) {
          showErrors(form, error);
        }
      } })),
    status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', `/users/${user}/ban`, {
        reason: reason.value,
        expires_at: until.value ? new Date(until.value).toISOString() : null,
        remove_content: removeAll.checked,
      });
      status.textContent = t('banned');
    } catch (error) {
      showErrors(form, error);
    }
  });
  return h('details', { class: 'hs-ban-box' }, h('summary', { text: t('ban') }), form);
}
