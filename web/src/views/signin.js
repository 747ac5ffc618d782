import { h } from '../dom.js';
import { t } from '../i18n.js';
import * as api from '../api.js';
import { afterSignIn } from '../main.js';

export function signIn(main) {
  document.title = t('ui.signin') + ' — tracemark';
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password' });
  const msg = h('p', { class: 'error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', class: 'primary', text: t('ui.signin') });
  const form = h('form', { class: 'card signin', onsubmit: async (e) => {
    e.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    msg.hidden = true;
    try {
      const me = await api.signIn(user.value.trim(), pass.value);
      await afterSignIn(me);
    } catch (err) {
      msg.textContent = err.status === 401 ? t('ui.err.bad_credentials') : t(err.key || 'ui.err.unknown');
      msg.hidden = false;
      pass.select();
    } finally {
      button.disabled = false;
    }
  } },
  h('h1', { text: t('ui.signin') }),
  h('p', { class: 'muted', text: t('ui.signin.lead') }),
  h('label', { for: 'username', text: t('ui.username') }), user,
  h('label', { for: 'password', text: t('ui.password') }), pass,
  msg, button);
  main.append(form);
  user.focus();
}
