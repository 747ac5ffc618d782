import { h } from '../dom.js';
import { t } from '../i18n.js';

const KEYS = [
  ['?', 'ui.key.help'], ['g w', 'ui.key.mywork'], ['g c', 'ui.key.cases'],
  ['g f', 'ui.key.firearms'], ['g t', 'ui.key.traces'], ['g s', 'ui.key.stats'], ['/', 'ui.key.search'],
  ['j / k', 'ui.key.rows'], ['Enter', 'ui.key.open'], ['v · p · x', 'ui.key.marks'],
  ['s · b · 3 · l', 'ui.key.modes'], ['← → ↑ ↓', 'ui.key.pan'], ['+ / − / 0', 'ui.key.zoom'],
  ['Shift + ← → ↑ ↓', 'ui.key.shift'], ['[ / ]', 'ui.key.rotate'], ['r', 'ui.key.reset'],
  ['h · m · a', 'ui.key.tools'], ['Enter', 'ui.key.place'], ['c', 'ui.key.cells'],
  ['← → (|)', 'ui.key.divider'], ['n', 'ui.key.conclusion'], ['Esc', 'ui.key.close'],
];

export function openHelp() {
  document.getElementById('help')?.remove();
  const close = h('button', { type: 'button', class: 'primary', text: t('ui.close'), onclick: () => dlg.close() });
  const dlg = h('dialog', { id: 'help', 'aria-labelledby': 'help-title' },
    h('h2', { id: 'help-title', text: t('ui.help.title') }),
    h('p', { text: t('ui.help.lead') }),
    h('table', { class: 'keys' }, h('tbody', {}, KEYS.map(([k, id]) => h('tr', {}, h('th', { scope: 'row' }, h('kbd', { text: k })), h('td', { text: t(id) }))))),
    h('p', { class: 'muted small', text: t('ui.help.mouse') }),
    close);
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  close.focus();
}
