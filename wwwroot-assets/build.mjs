// Copies the pinned chart library and our chart module into App/wwwroot/lib (build output, not
// committed). Run by the BuildChartAssets target in App/App.csproj; safe when two builds run it at
// once (a lock directory serialises them) and cheap when nothing changed (npm ci only when the
// installed packages do not match package-lock.json).
import { execSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, '..', 'App', 'wwwroot', 'lib');
const pinned = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).dependencies.apexcharts;
const lock = join(here, '.build-lock');

const sleep = ms => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function acquire() {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try { mkdirSync(lock); return; } catch (e) { if (e.code !== 'EEXIST') throw e; }
    // A lock left by a killed build is taken over after five minutes.
    try { if (Date.now() - statSync(lock).mtimeMs > 5 * 60_000) { rmSync(lock, { recursive: true, force: true }); continue; } } catch { continue; }
    if (Date.now() > deadline) throw new Error(`chart assets: ${lock} is still held after 10 minutes`);
    sleep(200);
  }
}

function installedMatchesLock() {
  // npm writes node_modules/.package-lock.json after an install; equal "packages" means nothing to do.
  const hidden = join(here, 'node_modules', '.package-lock.json');
  if (!existsSync(hidden)) return false;
  const want = JSON.parse(readFileSync(join(here, 'package-lock.json'), 'utf8')).packages;
  const have = JSON.parse(readFileSync(hidden, 'utf8')).packages;
  return Object.keys(want).filter(k => k !== '').every(k => have[k]?.version === want[k].version && have[k]?.integrity === want[k].integrity);
}

// Writes through a temporary file and a rename, so a reader never sees half a file.
function publish(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  const tmp = `${to}.${process.pid}.tmp`;
  copyFileSync(from, tmp);
  renameSync(tmp, to);
  const now = new Date();
  utimesSync(to, now, now); // newer than the inputs, so MSBuild skips the target next time
}

acquire();
try {
  if (!installedMatchesLock()) {
    execSync('npm ci --ignore-scripts --no-audit --no-fund', { cwd: here, stdio: 'inherit' });
  }
  const library = join(here, 'node_modules', 'apexcharts');
  const version = JSON.parse(readFileSync(join(library, 'package.json'), 'utf8')).version;
  if (version !== pinned) throw new Error(`chart assets: apexcharts ${version} is installed, package.json pins ${pinned}`);
  publish(join(library, 'dist', 'apexcharts.min.js'), join(out, 'apexcharts', 'apexcharts.min.js'));
  publish(join(library, 'LICENSE'), join(out, 'apexcharts', 'LICENSE'));
  publish(join(here, 'src', 'charts.js'), join(out, 'charts', 'charts.js'));
} finally {
  rmSync(lock, { recursive: true, force: true });
}
