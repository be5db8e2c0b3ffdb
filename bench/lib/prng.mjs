// Seeded, deterministic byte sources, so every run benchmarks the same bytes.
//
// Two generators, each chosen for speed on its job:
// - `keystream(label)`: AES-128-CTR over zeros, keyed by sha256(label). Incompressible bytes at
//   GB/s (AES-NI), identical on every machine and Node version because AES is a fixed function.
// - `createRng(label)`: sfc32, a small 32-bit PRNG for choices (sizes, names, which line comes
//   next). Seeded from the same label hash.
import { createCipheriv, createHash } from 'node:crypto';

function seedBytes(label) {
  return createHash('sha256').update(`countersign-bench:${label}`).digest();
}

/** A deterministic stream of pseudo-random bytes: call `next(n)` for the following n bytes. */
export function keystream(label) {
  const seed = seedBytes(label);
  const cipher = createCipheriv('aes-128-ctr', seed.subarray(0, 16), seed.subarray(16, 32));
  return {
    next(length) {
      return cipher.update(Buffer.alloc(length));
    },
  };
}

/** sfc32 (Small Fast Counting, Chris Doty-Humphrey): good statistical quality, tiny state. */
export function createRng(label) {
  const seed = seedBytes(label);
  let a = seed.readUInt32LE(0);
  let b = seed.readUInt32LE(4);
  let c = seed.readUInt32LE(8);
  let d = seed.readUInt32LE(12);
  const nextUint32 = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Warm up: the first outputs of sfc32 still carry the seed's structure.
  for (let i = 0; i < 15; i++) nextUint32();
  return {
    nextUint32,
    /** A float in [0, 1). */
    float() {
      return nextUint32() / 0x100000000;
    },
    /** An integer in [min, max], both inclusive. */
    int(min, max) {
      return min + Math.floor((nextUint32() / 0x100000000) * (max - min + 1));
    },
    pick(items) {
      return items[Math.floor((nextUint32() / 0x100000000) * items.length)];
    },
  };
}
