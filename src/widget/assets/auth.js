// Signing in and out: a compact area in the header (who is signed in, a sign-out button) and a
// form that registers or logs in; problems appear next to the fields they name.
import { h, field, formError, showErrors, displayName } from './dom.js';
import { t } from './strings.js';
import { signIn, signOut, onSession, currentUser } from './api.js';

/** The header's account area. */
export function authArea() {
  const area = h('div', { class: 'hs-auth' });
  const panel = h('div', { class: 'hs-auth-panel', hidden: true });
  const render = () => {
    const user = currentUser();
    if (user) {
      panel.hidden = true;
      area.replaceChildren(h('span', { class: 'hs-me', text: t('signedInAs', { name: displayName(user) }) }),
        h('button', { type: 'button', class: 'hs-link', text: t('signOut'), onclick: () => signOut() }), panel);
    } else {
      const open = h('button', { type: 'button', class: 'hs-link', 'aria-expanded': 'false', text: t('signIn'), onclick: () => {
        panel.hidden = !panel.hidden;
        open.setAttribute('aria-expanded', String(!panel.hidden));
        if (!panel.hidden) {
          panel.replaceChildren(authForm('login'));
          panel.querySelector('input').focus();
        }
      } });
      area.replaceChildren(open, panel);
    }
  };
  onSession(render);
  render();
  return area;
}

/** The login (`kind = 'login'`) or registration form. */
function authForm(kind) {
  const inputs = kind === 'login'
    ? [['login', t('login'), 'text', 'username'], ['password', t('password'), 'password', 'current-password']]
    : [['username', t('username'), 'text', 'username'], ['email', t('email'), 'email', 'email'], ['password', t('password'), 'password', 'new-password']];
  const fields = inputs.map(([name, label, type, autocomplete]) => {
    const input = h('input', { type, name, autocomplete, required: true });
    return [name, input, field(label, input, name)];
  });
  const switchTo = kind === 'login' ? 'register' : 'login';
  const form = h('form', { class: 'hs-form hs-auth-form', novalidate: true, 'aria-label': kind === 'login' ? t('signIn') : t('register') },
    fields.map(([, , el]) => el), formError(),
    h('div', { class: 'hs-buttons' },
      h('button', { type: 'submit', class: 'hs-primary', text: kind === 'login' ? t('signIn') : t('register') }),
      h('button', { type: 'button', class: 'hs-link', text: kind === 'login' ? t('needAccount') : t('haveAccount'), onclick: () => {
        const other = authForm(switchTo);
        form.replaceWith(other);
        other.querySelector('input').focus();
      } })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(fields.map(([name, input]) => [name, input.value]));
    try {
      await signIn(kind, values);
      const next = document.querySelector('.hs-compose-slot textarea') || document.querySelector('.hs-auth button');
      if (next) next.focus();
    } catch (error) {
      showErrors(form, error);
    }
  });
  return form;
}
