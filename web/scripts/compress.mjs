// Writes a gzip twin beside every built file (todo-api embeds both and
// serves the twin when the browser accepts gzip), prints what the first load
// costs, and fails the build if its JavaScript is over the 150 KiB budget.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 150 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (!name.endsWith('.gz')) files.push(path);
  }
};
walk(dist);
let js = 0;
let jsRaw = 0;
for (const path of files) {
  const raw = readFileSync(path);
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(`${path}.gz`, gz);
  const rel = path.slice(dist.length);
  if (rel.endsWith('.js')) {
    js += gz.length;
    jsRaw += raw.length;
  }
  console.log(`${rel.padEnd(40)} ${String(raw.length).padStart(8)} B  gzip ${String(gz.length).padStart(7)} B`);
}
console.log(`first load JavaScript: ${(js / 1024).toFixed(1)} KiB gzip (${jsRaw} B raw); budget ${BUDGET / 1024} KiB`);
if (js > BUDGET) {
  console.error('over the budget: make the bundle smaller before shipping');
  process.exit(1);
}
