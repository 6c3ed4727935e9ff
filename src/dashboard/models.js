// The admin's Models page, #/admin/models: the gateway's providers (API family, upstream, the key's
// fingerprint: keys are write-only and never come back to the browser) and models (alias, provider,
// prices per million tokens, allowed data classes, output cap). Rotating a key or removing either
// asks first and says what happens.
import { api } from './api.js';
import { h, show } from './dom.js';
import { guarded, loadView, tableOrNote } from './ui.js';

const CLASSES = ['public', 'internal', 'confidential', 'restricted'];

function field(id, label, input, hint) {
  return h('div', {}, h('label', { for: id }, label), input, hint ? h('small', { class: 'muted' }, hint) : null);
}

export async function modelsView(view, onSignedOut) {
  const catalog = await loadView(view, '/admin/catalog', onSignedOut, 'Models and providers');
  if (!catalog) return;
  const again = () => modelsView(view, onSignedOut);
  const act = async (path, body) => { if (await guarded(view, () => api(path, { method: 'POST', body }), onSignedOut)) await again(); };

  const providerRows = catalog.providers.map((p) => {
    const key = h('input', { type: 'password', autocomplete: 'off', 'aria-label': `New API key of ${p.name}`, placeholder: 'new key' });
    const rotate = h('form', { class: 'inline' }, key, h('button', { type: 'submit', class: 'quiet' }, 'Rotate'));
    rotate.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = key.value.trim();
      key.value = '';
      if (!value || !confirm(`Replace ${p.name}'s API key? Every model on it calls the provider with the new key within a second, on every node.`)) return;
      act(`/admin/providers/${p.name}/key`, { key: value });
    });
    const used = catalog.models.filter((m) => m.provider === p.name).length;
    const remove = h('button', { type: 'button', class: 'danger', disabled: used > 0, title: used ? `${used} model(s) use it` : null }, 'Remove');
    remove.addEventListener('click', () => confirm(`Remove provider ${p.name}? Its key is deleted.`) && act(`/admin/providers/${p.name}/remove`, {}));
    return h('tr', {}, h('td', {}, p.name), h('td', {}, p.api),
      h('td', {}, h('code', {}, `${p.tls ? 'https' : 'http'}://${p.upstream}${p.path}`)),
      h('td', {}, p.key_fingerprint ? h('code', {}, p.key_fingerprint) : h('span', { class: 'muted' }, 'stored before fingerprints')),
      h('td', {}, rotate), h('td', {}, remove));
  });

  const pName = h('input', { id: 'provider-name', required: true, maxlength: 63, placeholder: 'e.g. openai' });
  const pApi = h('select', { id: 'provider-api' }, h('option', { value: 'openai' }, 'openai (chat, responses, embeddings)'), h('option', { value: 'anthropic' }, 'anthropic (messages)'));
  const pUpstream = h('input', { id: 'provider-upstream', required: true, maxlength: 100, placeholder: 'the nginx upstream{} name' });
  const pTls = h('input', { id: 'provider-tls', type: 'checkbox' });
  const pKey = h('input', { id: 'provider-key', type: 'password', autocomplete: 'off', required: true });
  const addProvider = h('form', { class: 'row', id: 'provider-form' },
    field('provider-name', 'Name', pName), field('provider-api', 'API', pApi), field('provider-upstream', 'Upstream', pUpstream),
    h('div', {}, h('label', { for: 'provider-tls' }, pTls, ' TLS')),
    field('provider-key', 'API key (write-only)', pKey, 'stored encrypted; shown only as a fingerprint'),
    h('button', { type: 'submit' }, 'Add or replace provider'));
  addProvider.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = { name: pName.value.trim(), api: pApi.value, upstream: pUpstream.value.trim(), tls: pTls.checked, key: pKey.value.trim() };
    pKey.value = '';
    act('/admin/providers', body);
  });

  const modelRows = catalog.models.map((m) => {
    const edit = h('button', { type: 'button', class: 'quiet', 'aria-label': `Edit ${m.alias}` }, 'Edit');
    edit.addEventListener('click', () => fill(m));
    const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${m.alias}` }, 'Remove');
    remove.addEventListener('click', () => confirm(`Remove model ${m.alias}? Calls naming it get 404 model_not_found within a second.`)
      && act('/admin/models/remove', { alias: m.alias }));
    return h('tr', {}, h('td', {}, h('code', {}, m.alias)), h('td', {}, m.provider), h('td', {}, m.upstream_model),
      h('td', {}, `$${m.price_in} / $${m.price_out}`), h('td', {}, m.data_classes.join(', ')), h('td', {}, m.max_output_tokens.toLocaleString('en')),
      h('td', {}, h('div', { class: 'actions' }, edit, remove)));
  });

  const mAlias = h('input', { id: 'model-alias', required: true, maxlength: 128, placeholder: 'model:default/gpt-5' });
  const mProvider = h('select', { id: 'model-provider' }, ...catalog.providers.map((p) => h('option', { value: p.name }, `${p.name} (${p.api})`)));
  const mUpstream = h('input', { id: 'model-upstream', required: true, maxlength: 200, placeholder: 'the provider\'s model name' });
  const mIn = h('input', { id: 'model-price-in', required: true, inputmode: 'decimal', placeholder: '1.25' });
  const mOut = h('input', { id: 'model-price-out', required: true, inputmode: 'decimal', placeholder: '10' });
  const mMax = h('input', { id: 'model-max-output', type: 'number', min: 1, step: 1, value: 4096 });
  const boxes = CLASSES.map((c) => h('input', { type: 'checkbox', id: `model-class-${c}`, value: c, checked: c === 'public' || c === 'internal' }));
  const fill = (m) => {
    mAlias.value = m.alias; mProvider.value = m.provider; mUpstream.value = m.upstream_model;
    mIn.value = m.price_in; mOut.value = m.price_out; mMax.value = m.max_output_tokens;
    for (const b of boxes) b.checked = m.data_classes.includes(b.value);
    mAlias.focus();
  };
  const addModel = h('form', { class: 'row', id: 'model-form' },
    field('model-alias', 'Alias', mAlias), field('model-provider', 'Provider', mProvider), field('model-upstream', 'Provider\'s model', mUpstream),
    field('model-price-in', 'Input USD / 1M tokens', mIn), field('model-price-out', 'Output USD / 1M tokens', mOut),
    field('model-max-output', 'Max output tokens', mMax),
    h('fieldset', { class: 'classes' }, h('legend', {}, 'Allowed data classes'), ...CLASSES.map((c, i) => h('label', { for: `model-class-${c}` }, boxes[i], ` ${c}`))),
    h('button', { type: 'submit' }, 'Save model'));
  addModel.addEventListener('submit', (event) => {
    event.preventDefault();
    act('/admin/models', { alias: mAlias.value.trim(), provider: mProvider.value, upstream_model: mUpstream.value.trim(), price_in: mIn.value.trim(),
      price_out: mOut.value.trim(), max_output_tokens: Number(mMax.value), data_classes: boxes.filter((b) => b.checked).map((b) => b.value) });
  });

  show(view,
    h('h1', {}, 'Models and providers'),
    h('div', { class: 'card' }, h('h2', {}, 'Models'),
      h('p', { class: 'muted' }, 'What clients name in "model". The gateway serves a model only for the data classes it allows, at its provider\'s API routes.'),
      tableOrNote('models', ['Alias', 'Provider', 'Provider\'s model', 'In / out per 1M', 'Data classes', 'Max output', ''], modelRows, 'No model yet.'),
      h('h2', {}, 'Add or change a model'), addModel),
    h('div', { class: 'card' }, h('h2', {}, 'Providers'),
      tableOrNote('providers', ['Name', 'API', 'Endpoint', 'Key', 'Rotate key', ''], providerRows, 'No provider yet.'),
      h('h2', {}, 'Add a provider'),
      h('p', { class: 'muted' }, 'The upstream is an nginx upstream{} block of the gateway\'s configuration (see conf.examples/production.conf).'),
      addProvider));
}
