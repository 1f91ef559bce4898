// Measures the JavaScript of the first load of the dashboard (the entry, its static imports, and
// the experiments list that `/` opens with), gzip-compressed, against the 30 KB budget.
//   npm run build && npm run size
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET = 30 * 1024;
const dist = resolve(fileURLToPath(new URL('../dist', import.meta.url)));
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const entry = /<script type="module"[^>]*src="\/([^"]+)"/.exec(html)?.[1];
if (!entry) throw new Error('no module script in dist/index.html');

const seen = new Set();
function walk(file) {
  if (seen.has(file)) return;
  seen.add(file);
  const code = readFileSync(join(dist, file), 'utf8');
  const dir = file.slice(0, file.lastIndexOf('/') + 1);
  for (const m of code.matchAll(/(?:import|from)\s*["']\.\/([^"']+\.js)["']/g)) walk(dir + m[1]);
  return code;
}
const entryCode = walk(entry);
// The route of `/`: the dashboard chunk, imported dynamically by the entry.
const dash = /import\(["']\.\/(dashboard-[^"']+\.js)["']\)/.exec(entryCode)?.[1];
if (!dash) throw new Error('the dashboard chunk is not found in the entry');
walk(entry.slice(0, entry.lastIndexOf('/') + 1) + dash);

let total = 0;
for (const f of seen) {
  const gz = gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
  total += gz;
  console.log(`${String(gz).padStart(7)} B  ${f}`);
}
console.log(`${String(total).padStart(7)} B  first load, gzip (budget ${BUDGET} B)`);
if (total > BUDGET) process.exit(1);
