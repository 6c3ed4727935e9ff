// A line diff (longest common subsequence) of two texts, as rows of [' ' | '-' | '+', line], and
// its view: removed lines marked "−", added "+", each also said in words for screen readers.
import { h } from './dom.js';

const LIMIT = 4_000_000;  // cells of the LCS table; past it the texts are shown whole, one after the other

export function lineDiff(before, after) {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  if (a.length * b.length > LIMIT) return [...a.map((l) => ['-', l]), ...b.map((l) => ['+', l])];
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const rows = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { rows.push([' ', a[i]]); i += 1; j += 1; } else if (lcs[i + 1][j] >= lcs[i][j + 1]) { rows.push(['-', a[i]]); i += 1; } else { rows.push(['+', b[j]]); j += 1; }
  }
  while (i < n) { rows.push(['-', a[i]]); i += 1; }
  while (j < m) { rows.push(['+', b[j]]); j += 1; }
  return rows;
}

export function diffView(before, after, id) {
  const rows = lineDiff(before, after);
  const changed = rows.filter(([mark]) => mark !== ' ').length;
  return h('div', { id },
    h('p', { class: 'muted' }, changed === 0 ? 'No line changed.' : `${changed} line(s) changed.`),
    h('pre', { class: 'diff' }, ...rows.map(([mark, line]) => h('span', {
      class: mark === '+' ? 'added' : mark === '-' ? 'removed' : 'same',
      'aria-label': mark === '+' ? `added: ${line}` : mark === '-' ? `removed: ${line}` : undefined,
    }, `${mark === '-' ? '−' : mark} ${line}`))));
}
