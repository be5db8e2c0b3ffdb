// Builds demo/exampledesk-1.0.0.zip, the small artifact that `npm start` scans: a made-up desktop
// app release with an Electron asar and an npm package inside. Inert: no code in it ever runs.
// Run: node demo/make-demo.mjs (needs the dev dependency @electron/asar, `npm`, and Debian `zip`).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPackage } from '@electron/asar';

const here = dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'countersign-demo-'));
const fixedTime = new Date('2026-01-15T12:00:00Z');

function write(path, content) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

// The Electron app sources, packed into resources/app.asar.
const app = join(work, 'app-src');
write(join(app, 'package.json'), `${JSON.stringify({ name: 'exampledesk', version: '1.0.0', main: 'main.js' }, null, 2)}\n`);
write(join(app, 'main.js'), "'use strict';\n// ExampleDesk main process (demo).\nconsole.log('ExampleDesk 1.0.0');\n");
write(join(app, 'ui/index.html'), '<!doctype html>\n<title>ExampleDesk</title>\n<p>Hello from the demo.</p>\n');

// A helper npm package shipped as a tarball, packed by the real npm client.
const helper = join(work, 'helper-src');
write(
  join(helper, 'package.json'),
  `${JSON.stringify({ name: '@exampledesk/helper', version: '1.0.0', license: 'MIT', main: 'index.js' }, null, 2)}\n`,
);
write(join(helper, 'index.js'), "'use strict';\nmodule.exports = (a, b) => a + b;\n");

const release = join(work, 'ExampleDesk');
mkdirSync(join(release, 'resources'), { recursive: true });
mkdirSync(join(release, 'plugins'), { recursive: true });
await createPackage(app, join(release, 'resources', 'app.asar'));
execFileSync('npm', ['pack', '--silent', '--pack-destination', join(release, 'plugins')], { cwd: helper });
write(join(release, 'README.txt'), 'ExampleDesk 1.0.0\n\nA made-up desktop app used to demonstrate Countersign.\n');
write(join(release, 'LICENSE.txt'), 'Demo content, CC0-1.0.\n');

// Fixed timestamps so the zip is byte-for-byte reproducible.
function touch(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) touch(path);
    utimesSync(path, fixedTime, fixedTime);
  }
}
touch(release);
utimesSync(release, fixedTime, fixedTime);
const output = join(here, 'exampledesk-1.0.0.zip');
rmSync(output, { force: true });
execFileSync('zip', ['-X', '-r', '-q', output, 'ExampleDesk'], { cwd: work, env: { ...process.env, TZ: 'UTC' } });
rmSync(work, { recursive: true, force: true });
console.log(`wrote ${output}`);
