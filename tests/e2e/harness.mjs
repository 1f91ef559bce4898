// What the end-to-end tests share: where the binary, the built dashboard and Chromium are, a free
// port, a rallyuxr server on a temporary SQLite database that is ready once /api/health answers,
// and Chromium launched the same way by every test file. Not a test file itself (node --test runs
// only *.test.mjs here).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../../', import.meta.url)));
export const BIN = resolve(REPO, process.env.RALLYUXR_BIN ?? 'build/src/rallyuxr');
export const WEB_DIST = join(REPO, 'web', 'dist');
export const SHOTS = join(REPO, 'tests', 'e2e', 'screenshots');
export const CHROMIUM = process.env.RALLYUXR_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** require() from web/, where playwright-core, esbuild and axe-core are devDependencies. */
export const webRequire = createRequire(new URL('../../web/package.json', import.meta.url));

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/**
 * Starts `rallyuxr serve` on the port and database given, serving web/dist, and waits (30 s at
 * most) until /api/health answers 200. `onLog` receives its stdout and stderr; the error thrown
 * when it exits or never answers carries `log()`.
 */
export async function startRallyuxr({ port, database, extraArgs = [], onLog = () => {}, log = () => '' }) {
  assert.ok(existsSync(BIN), `rallyuxr binary not found at ${BIN}; build it first or set RALLYUXR_BIN`);
  assert.ok(existsSync(join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html is missing; run "npm ci && npm run build" in web/`);
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(BIN, [
    'serve', '--port', String(port), '--database', `sqlite:${database}`, '--web-root', WEB_DIST, '--workers', '2', ...extraArgs,
  ], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', onLog);
  proc.stderr.on('data', onLog);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`rallyuxr exited with ${proc.exitCode} before it was ready:\n${log()}`);
    try {
      const res = await fetch(`${base}/api/health`);
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`rallyuxr did not answer /api/health within 30 s:\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proc, base };
}

/** Debian's headless Chromium through playwright-core. */
export async function launchChromium() {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (Debian package "chromium")`);
  const { chromium } = webRequire('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** What sticks out of the page sideways (at most 5 elements), outside the regions that scroll on purpose. */
export async function noHorizontalScroll(page) {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    wide: [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !el.closest('.table-scroll, .visually-hidden, dialog'))
      .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`),
  }));
}
