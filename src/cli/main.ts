#!/usr/bin/env node
import { applyV8Policy } from '../core/v8-policy.js';
import { main } from './program.js';

applyV8Policy();
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
