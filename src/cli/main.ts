#!/usr/bin/env node
import { applyHeapPolicy } from '../core/heap-policy.js';
import { main } from './program.js';

applyHeapPolicy();
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
