#!/usr/bin/env node
// Rebuilds the byte-histogram WebAssembly module from histogram.wat and prints it as base64 for
// src/artifact/byte-histogram.ts. Needs the `wabt` package (not a dependency of Countersign):
//   npm exec --yes --package=wabt@1.0.39 -- node src/artifact/wasm/build-histogram.mjs
// byte-histogram.test.ts checks what the embedded module counts against a plain loop.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { default: initWabt } = await import('wabt');
const wabt = await initWabt();
const module = wabt.parseWat('histogram.wat', readFileSync(join(here, 'histogram.wat'), 'utf8'));
module.validate();
const { buffer } = module.toBinary({ log: false, write_debug_names: false });
process.stdout.write(`${Buffer.from(buffer).toString('base64')}\n`);
