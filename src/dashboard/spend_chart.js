// The spend against budget: a meter of month-to-date spend over the budget, and a bar per day
// (SVG built with attributes only: the CSP allows no style attribute).
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** USD text ("0.001234") for people: cents when large, else the exact micro-dollars. */
export function usd(text) {
  if (text === null || text === undefined) return '—';
  const n = Number(text);
  return n >= 1 || n === 0 ? `$${n.toFixed(2)}` : `$${String(text).replace(/0+$/, '').replace(/\.$/, '')}`;
}

export function budgetMeter(cost) {
  if (cost.budget_usd === null || cost.budget_usd === undefined) {
    return h('p', {}, 'Month to date: ', h('strong', {}, usd(cost.total_usd)), ' — no budget set (an admin sets one).');
  }
  const spent = Number(cost.total_usd);
  const budget = Number(cost.budget_usd);
  const pct = budget > 0 ? Math.min(100, Math.round((spent / budget) * 100)) : 100;
  return h('div', {},
    h('p', {}, 'Month to date: ', h('strong', {}, usd(cost.total_usd)), ` of ${usd(cost.budget_usd)} (${pct}%), `,
      usd(cost.remaining_usd), ' left.'),
    h('meter', { min: 0, max: budget || 1, value: Math.min(spent, budget || 1), high: budget * 0.8, optimum: 0,
      'aria-label': `Spend: ${pct}% of the monthly budget` }));
}

/** Every UTC day from `from` to `to` (RFC 3339), with what `days` says of it (else nothing spent). */
function everyDay(from, to, days) {
  const known = new Map(days.map((d) => [d.day, d]));
  const out = [];
  for (let t = Date.parse(from.slice(0, 10)); t <= Date.parse(to.slice(0, 10)); t += 86400000) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push(known.get(day) ?? { day, usd: '0.000000', requests: 0 });
  }
  return out;
}

/** Bars for the window's days of cost.by_day ([{day: 'YYYY-MM-DD', usd: '0.1', requests}]). */
export function dailyChart(cost, empty = 'No gateway calls this month yet.') {
  if (!cost.by_day || cost.by_day.length === 0) return h('p', { class: 'muted' }, empty);
  const days = everyDay(cost.from, cost.to, cost.by_day);
  const max = Math.max(...days.map((d) => Number(d.usd)), 1e-6);
  const w = 24;
  const height = 120;
  // Room for a whole month, so that a bar is as wide on the 2nd as on the 30th.
  const svg = s('svg', { viewBox: `0 0 ${Math.max(days.length, 31) * w} ${height + 18}`, class: 'chart', role: 'img',
    preserveAspectRatio: 'xMinYMid meet',
    'aria-label': `Spend per day: ${days.filter((d) => d.requests).map((d) => `${d.day} ${usd(d.usd)}`).join(', ')}` });
  days.forEach((d, i) => {
    const bar = d.requests ? Math.max(2, Math.round((Number(d.usd) / max) * height)) : 0;
    svg.append(s('rect', { x: i * w + 3, y: height - bar, width: w - 6, height: bar, class: 'bar' },
      s('title', {}, `${d.day}: ${usd(d.usd)}, ${d.requests} call(s)`)));
    svg.append(s('text', { x: i * w + w / 2, y: height + 14, 'text-anchor': 'middle', class: 'axis' }, d.day.slice(8)));
  });
  return svg;
}
