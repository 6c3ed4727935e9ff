// The admin's standards editor: #/admin/standards (every standard's latest version; a new one) and
// #/admin/standards/<name> (edit as text: every save a new version with its author, time and a
// required change note; the history; a diff between any two versions; restore an old version as a
// new one). Agents read the newest version over MCP (get_standards) from the next call on.
import { api, ApiError } from './api.js';
import { h, show } from './dom.js';
import { diffView } from './line_diff.js';
import { errorBox, guarded, loadView, tableOrNote, when } from './ui.js';

function field(id, label, input) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

export async function standardsView(view, onSignedOut) {
  const list = await loadView(view, '/admin/standards', onSignedOut, 'Standards');
  if (!list) return;
  const name = h('input', { id: 'new-standard-name', required: true, maxlength: 64, pattern: '[a-z0-9][a-z0-9_\\-]{0,63}', placeholder: 'e.g. api-design' });
  const form = h('form', { id: 'new-standard', class: 'row' }, field('new-standard-name', 'Name (lower-case letters, digits, - and _)', name),
    h('button', { type: 'submit' }, 'Write a new standard'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/admin/standards/${name.value.trim()}`;
  });
  const rows = list.standards.map((s) => h('tr', {},
    h('td', {}, h('a', { href: `#/admin/standards/${s.name}` }, s.name)), h('td', {}, s.title), h('td', {}, `v${s.version}`),
    h('td', {}, s.author), h('td', {}, when(s.updated))));
  show(view,
    h('h1', {}, 'Standards'),
    h('div', { class: 'card' },
      h('p', { class: 'muted' }, 'Normative: agents read them with get_standards, and only an admin edits them here. Every save is a new version.'),
      tableOrNote('standards', ['Name', 'Title', 'Version', 'By', 'Updated'], rows, 'No standard yet.')),
    h('div', { class: 'card' }, h('h2', {}, 'A new standard'), form));
}

export async function standardView(view, name, onSignedOut) {
  let data = null;
  try {
    data = await api(`/admin/standards/${name}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return onSignedOut();
    if (!(e instanceof ApiError && e.status === 404)) return show(view, h('h1', {}, name), errorBox(e));
  }
  const current = data?.standard;
  const title = h('input', { id: 'standard-title', required: true, maxlength: 200, value: current?.title ?? '' });
  const text = h('textarea', { id: 'standard-body', required: true, rows: 18, spellcheck: 'false' });
  text.value = current?.body ?? '';
  const note = h('input', { id: 'standard-note', required: true, maxlength: 2000, placeholder: 'What changed and why (kept with the version)' });
  const form = h('form', { id: 'standard-form' },
    field('standard-title', 'Title', title), field('standard-body', 'Text (Markdown)', text), field('standard-note', 'Change note (required)', note),
    h('button', { type: 'submit' }, current ? `Save as version ${current.version + 1}` : 'Save version 1'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const saved = await guarded(form, () => api(`/admin/standards/${name}`, {
      method: 'POST', body: { title: title.value.trim(), body: text.value, note: note.value.trim() },
    }), onSignedOut);
    if (saved) await standardView(view, name, onSignedOut);
  });

  const versions = data?.versions ?? [];
  const compare = h('div', { id: 'standard-compare' });
  const pick = (id, chosen) => h('select', { id }, ...versions.map((v) => h('option', { value: v.version, selected: v.version === chosen }, `v${v.version}`)));
  const from = pick('diff-from', versions[1]?.version);
  const to = pick('diff-to', versions[0]?.version);
  const diffButton = h('button', { type: 'button', id: 'show-diff', class: 'quiet' }, 'Show the diff');
  diffButton.addEventListener('click', async () => {
    const [a, b] = await Promise.all([from.value, to.value].map((v) => guarded(compare, () => api(`/admin/standards/${name}/${v}`), onSignedOut)));
    if (!a || !b) return;
    compare.replaceChildren(h('h3', {}, `v${a.standard.version} → v${b.standard.version}`), diffView(a.standard.body, b.standard.body, 'standard-diff'));
  });
  const rows = versions.map((v) => {
    const restore = h('button', { type: 'button', class: 'quiet', 'aria-label': `Restore version ${v.version}` }, 'Restore');
    restore.addEventListener('click', async () => {
      if (!confirm(`Write version ${v.version}'s text again as the newest version? Agents read it from the next call on.`)) return;
      const done = await guarded(view, () => api(`/admin/standards/${name}/${v.version}/restore`, { method: 'POST', body: {} }), onSignedOut);
      if (done) await standardView(view, name, onSignedOut);
    });
    return h('tr', {}, h('td', {}, `v${v.version}`), h('td', {}, v.title), h('td', {}, v.author), h('td', {}, when(v.updated)),
      h('td', {}, v.note || h('span', { class: 'muted' }, '—')), h('td', {}, v.version === current.version ? h('span', { class: 'muted' }, 'current') : restore));
  });
  show(view,
    h('p', {}, h('a', { href: '#/admin/standards' }, '← Standards')),
    h('h1', {}, current ? `${current.title} ` : `New standard `, h('small', { class: 'muted' }, current ? `${name} v${current.version}` : name)),
    h('div', { class: 'card' }, h('h2', {}, current ? 'Edit' : 'Write it'), form),
    versions.length === 0 ? null : h('div', { class: 'card' },
      h('h2', {}, 'History'),
      tableOrNote('standard-versions', ['Version', 'Title', 'By', 'When', 'Note', ''], rows, ''),
      versions.length < 2 ? null : h('div', { class: 'row' }, field('diff-from', 'From', from), field('diff-to', 'To', to), diffButton),
      compare));
}
