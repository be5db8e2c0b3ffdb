// JavaScript-like content: syntactically valid (as a script and as a module), compressing about as
// well as real source under deflate (~3-4x). Valid matters: a scan that parses JavaScript must do
// the work it does on real packages, not fail fast and record a syntax-error gap per file.
//
// A file is a sequence of complete top-level units drawn from a seeded pool, then a `//` comment
// that pads it to the exact size. Declared names get the unit's index in the file as a suffix, so
// no name is declared twice (a syntax error in a module). The pool is large enough that deflate's
// 32 KiB window rarely sees the same unit twice.
import { createRng } from './prng.mjs';

const WORDS = (
  'value result options config index length buffer stream event handler request response error ' +
  'module exports require promise resolve reject callback context state props render update token ' +
  'session cache store record entry path name size offset count limit timeout retry parse format ' +
  'encode decode hash digest verify sign key cert chain policy rule match filter reduce map each ' +
  'node tree child parent depth visit walk scan read write open close flush queue worker thread ' +
  'client server socket header body status method query params route target source output input'
).split(' ');

function cap(word) {
  return word[0].toUpperCase() + word.slice(1);
}

/**
 * Each template gives `[before, after]`: a declaring unit is `before + index + after`; a unit
 * that declares nothing has `after === undefined` and is `before` alone.
 */
const TEMPLATES = [
  ({ w }) => [`const ${w()}${cap(w())}_`, ` = require('${w()}/${w()}');\n`],
  ({ w, n }) => [
    `function ${w()}${cap(w())}_`,
    `(x, y) {\n` +
      `  if (x.${w()} > ${n(0, 4096)}) return y.${w()}(x);\n` +
      `  const z = x.${w()}({ ${w()}: ${n(0, 999)}, ${w()}: '${w()}' });\n` +
      `  for (let i = 0; i < z.length; i++) y[i] = ${w()}(z[i], ${n(1, 64)});\n` +
      `  return { ${w()}: z, ${w()}: ${n(0, 65535)} };\n` +
      `}\n`,
  ],
  ({ w, n }) => [`// ${w()} the ${w()} before we ${w()} its ${w()} (see #${n(100, 9999)})\n`],
  ({ w }) => [`${w()}.on('${w()}', (x) => ${w()}.${w()}(x));\n`],
  ({ w, n }) => [
    `var ${w()}${cap(w())}_`,
    ` = { ${w()}: '${w()}-${n(0, 99)}.${n(0, 99)}.${n(0, 99)}', ${w()}: ${n(0, 65535)} };\n`,
  ],
  ({ w }) => [
    `class ${cap(w())}${cap(w())}_`,
    ` {\n` +
      `  constructor(x) {\n    this.${w()} = x;\n  }\n` +
      `  ${w()}() {\n    throw new Error(\`${w()} ${w()} failed: \${this.${w()}}\`);\n  }\n` +
      `}\n`,
  ],
  ({ w, n }) => [`if (${w()}.${w()} > ${n(0, 4096)}) ${w()}.${w()}(${n(0, 99)});\n`],
];

/** A pool of units (see TEMPLATES), made from `label`'s seed. */
export function makeLinePool(label, size = 32768) {
  const rng = createRng(`units:${label}`);
  const parts = { w: () => rng.pick(WORDS), n: (min, max) => rng.int(min, max) };
  const pool = [];
  for (let i = 0; i < size; i++) {
    const [before, after] = rng.pick(TEMPLATES)(parts);
    pool.push({ before: Buffer.from(before), after: after === undefined ? undefined : Buffer.from(after) });
  }
  return pool;
}

/** Exactly `length` bytes of valid JavaScript, drawing units from `pool` with `rng`. */
export function textBytes(rng, pool, length) {
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (let index = 0; ; index++) {
    const unit = pool[rng.nextUint32() % pool.length];
    const id = unit.after === undefined ? undefined : Buffer.from(String(index));
    const size = unit.before.length + (id ? id.length + unit.after.length : 0);
    // Keep room for the padding comment: `//`, at least one byte, and a newline.
    if (at + size > length - 4) break;
    at += unit.before.copy(out, at);
    if (id) {
      at += id.copy(out, at);
      at += unit.after.copy(out, at);
    }
  }
  const left = length - at;
  if (left >= 3) {
    out.write('//', at, 'latin1');
    out.fill(0x2d, at + 2, length - 1); // '-'
    out[length - 1] = 0x0a;
  } else out.fill(0x0a, at, length);
  return out;
}
