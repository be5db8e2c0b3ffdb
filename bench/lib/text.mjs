// Text-like content that compresses about as well as real JavaScript (deflate ~3-4x), so the
// scan inflates and hashes text at a realistic ratio. Lines come from a seeded pool large enough
// that deflate's 32 KiB window rarely sees a whole line twice.
import { createRng } from './prng.mjs';

const WORDS = (
  'value result options config index length buffer stream event handler request response error ' +
  'module exports require promise resolve reject callback context state props render update token ' +
  'session cache store record entry path name size offset count limit timeout retry parse format ' +
  'encode decode hash digest verify sign key cert chain policy rule match filter reduce map each ' +
  'node tree child parent depth visit walk scan read write open close flush queue worker thread ' +
  'client server socket header body status method query params route target source output input'
).split(' ');

const TEMPLATES = [
  ({ w }) => `const ${w()}${cap(w())} = require('${w()}/${w()}');`,
  ({ w }) => `function ${w()}${cap(w())}(${w()}, ${w()}) {`,
  ({ w, n }) => `  if (${w()}.${w()} > ${n(0, 4096)}) return ${w()}.${w()}(${w()});`,
  ({ w, n }) => `  const ${w()} = await ${w()}.${w()}({ ${w()}: ${n(0, 999)}, ${w()}: '${w()}' });`,
  ({ w, n }) => `  for (let i = 0; i < ${w()}.length; i++) ${w()}[i] = ${w()}(${w()}[i], ${n(1, 64)});`,
  ({ w, n }) => `  // ${w()} the ${w()} before we ${w()} its ${w()} (see #${n(100, 9999)})`,
  ({ w }) => `  throw new Error(\`${w()} ${w()} failed: \${${w()}.${w()}}\`);`,
  ({ w, n }) => `  return { ${w()}, ${w()}: ${w()}.${w()}, ${w()}: ${n(0, 65535)} };`,
  () => `}`,
  ({ w }) => `export { ${w()}${cap(w())} as ${w()} };`,
  ({ w }) => `  ${w()}.on('${w()}', (${w()}) => ${w()}.${w()}(${w()}));`,
  ({ w, n }) => `  "${w()}_${w()}": "${w()}-${n(0, 99)}.${n(0, 99)}.${n(0, 99)}",`,
];

function cap(word) {
  return word[0].toUpperCase() + word.slice(1);
}

/** A pool of distinct-ish source lines (each ending in a newline), made from `label`'s seed. */
export function makeLinePool(label, size = 32768) {
  const rng = createRng(`lines:${label}`);
  const parts = { w: () => rng.pick(WORDS), n: (min, max) => rng.int(min, max) };
  const lines = [];
  for (let i = 0; i < size; i++) {
    const indent = rng.int(0, 3) === 0 ? '    ' : '';
    lines.push(Buffer.from(`${indent}${rng.pick(TEMPLATES)(parts)}\n`, 'utf8'));
  }
  return lines;
}

/** Exactly `length` bytes of text, drawing lines from `pool` with `rng`. */
export function textBytes(rng, pool, length) {
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  while (at < length) {
    const line = pool[rng.nextUint32() % pool.length];
    at += line.copy(out, at, 0, Math.min(line.length, length - at));
  }
  return out;
}
