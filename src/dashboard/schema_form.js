// A form made from a service's parameter schema (JSON Schema: string, integer, number, boolean,
// enum; required, pattern, minimum/maximum, description): the inputs, and the params they hold.
import { h } from './dom.js';

function input(name, prop, required, id) {
  const common = { id, name, required: required || undefined, 'aria-describedby': prop.description ? `${id}-help` : undefined };
  if (Array.isArray(prop.enum)) {
    return h('select', common, required ? null : h('option', { value: '' }, '(default)'),
      ...prop.enum.map((v) => h('option', { value: String(v) }, String(v))));
  }
  if (prop.type === 'boolean') return h('input', { ...common, type: 'checkbox', required: undefined });
  if (prop.type === 'integer' || prop.type === 'number') {
    return h('input', { ...common, type: 'number', step: prop.type === 'integer' ? 1 : 'any', min: prop.minimum, max: prop.maximum });
  }
  return h('input', { ...common, type: 'text', pattern: prop.pattern?.replace(/^\^|\$$/g, ''), maxlength: prop.maxLength,
    autocomplete: 'off', spellcheck: 'false' });
}

/** { fields: [Node], params(): object } for the schema; ids start with `prefix`. */
export function schemaForm(schema, prefix) {
  const props = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  const inputs = [];
  const fields = Object.entries(props).map(([name, prop]) => {
    const id = `${prefix}-${name}`;
    const el = input(name, prop, required.has(name), id);
    inputs.push([name, prop, el]);
    return h('div', { class: 'field' },
      h('label', { for: id }, name, required.has(name) ? ' (required)' : ''),
      el,
      prop.description ? h('small', { id: `${id}-help`, class: 'muted' }, prop.description) : null);
  });
  const params = () => {
    const out = {};
    for (const [name, prop, el] of inputs) {
      if (prop.type === 'boolean') { if (el.checked) out[name] = true; continue; }
      const text = el.value.trim();
      if (text === '') continue;
      out[name] = prop.type === 'integer' || prop.type === 'number' ? Number(text) : text;
    }
    return out;
  };
  return { fields, params };
}
