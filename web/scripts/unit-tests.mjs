// Unit tests of the dashboard's pure modules (web/test/*.test.ts) on Node's built-in test runner:
// each test file is bundled with esbuild (TypeScript in, one ESM file out) into
// node_modules/.cache/unit-tests/, then `node --test` runs them all.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = resolve(fileURLToPath(new URL('..', import.meta.url)));
const out = join(web, 'node_modules', '.cache', 'unit-tests');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const tests = readdirSync(join(web, 'test')).filter((f) => f.endsWith('.test.ts'));
await build({
  entryPoints: tests.map((f) => join(web, 'test', f)),
  outdir: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  outExtension: { '.js': '.mjs' },
  external: ['node:*'],
  logLevel: 'warning',
});
const files = readdirSync(out).filter((f) => f.endsWith('.mjs')).map((f) => join(out, f));
const r = spawnSync(process.execPath, ['--test', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
