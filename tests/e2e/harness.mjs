// harness.mjs - what the browser tests share: start `territory serve` on a
// fresh database and an ephemeral port (reading the port from its one
// line), stop it (also when a test fails or the run is interrupted), and
// launch Debian's Chromium through playwright-core (never a downloaded
// browser). Screenshots go to build/e2e/ (E2E_OUT overrides).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
const require = createRequire(path.join(root, 'web', 'package.json'));
const { chromium } = require('playwright-core');

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const outDir = process.env.E2E_OUT || path.join(root, 'build', 'e2e');

const running = new Set();

function killAll() {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

// Starts the server on a new database in a temp folder; resolves with
// {url, child, dir, stderr()} once it has printed its listening line.
export function startServer() {
  const bin = path.resolve(root, process.env.TERRITORY || 'build/territory');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'territory-e2e-'));
  const db = path.join(dir, 't.db');
  const child = spawn(bin, ['serve', '--db', db, '--host', '127.0.0.1', '--port', '0'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
    if (err.length > 65536) err = err.slice(-65536);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`'${bin} serve' printed no listening line in 10 s; stderr: ${err.trim()}`));
    }, 10000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/territory: listening on (http:\/\/[^\s/]+:\d+)\//);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child, dir, stderr: () => err });
      }
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start '${bin}': ${e.message}`));
    });
    child.on('exit', (code, sig) => {
      running.delete(child);
      clearTimeout(timer);
      reject(new Error(`'${bin} serve' exited (${code ?? sig}) before listening; stderr: ${err.trim()}`));
    });
  });
}

// Stops the server with SIGTERM (SIGKILL after 5 s) and removes its folder.
// Resolves with its exit status (a signal's name when it was killed), and
// writes its stderr out when that status is not 0.
export async function stopServer(server) {
  if (!server) return null;
  const { child, dir } = server;
  if (child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }
  running.delete(child);
  fs.rmSync(dir, { recursive: true, force: true });
  const code = child.exitCode ?? child.signalCode;
  if (code !== 0) process.stderr.write(`territory serve exited with ${code}; its stderr:\n${server.stderr()}\n`);
  return code;
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

// A new browser context (its own cookies) and page, which fails the test on
// any uncaught page error or any alert (a script that should not have run).
export async function newPage(browser, width, height) {
  const context = await browser.newContext({ viewport: { width: width || 1280, height: height || 860 } });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    page.problems.push(`unexpected dialog: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/.test(m.text())) page.problems.push(`CSP: ${m.text()}`);
  });
  // Generous: the machine may be busy; a step that passes takes well under 1 s.
  page.setDefaultTimeout(20000);
  return page;
}

export async function shot(page, name, opts) {
  fs.mkdirSync(outDir, { recursive: true });
  await page.screenshot({ path: path.join(outDir, name + '.png'), ...opts });
}
