import { randomBytes } from 'node:crypto';

/**
 * Record ids that sort by creation time: 9 base36 characters of milliseconds, 4 of a per-process
 * counter (so ids made in the same millisecond keep their order) and 10 random ones (so processes
 * never collide). Lists page by id, which makes "newest first" a plain keyset over the primary key.
 */
let lastMillis = 0;
let counter = 0;

export function newId(): string {
  const now = Date.now();
  if (now === lastMillis) counter += 1;
  else {
    lastMillis = now;
    counter = 0;
  }
  const random = randomBytes(8).readBigUInt64BE().toString(36).padStart(13, '0').slice(0, 10);
  return `${now.toString(36).padStart(9, '0')}${(counter % 36 ** 4).toString(36).padStart(4, '0')}${random}`;
}
