import type { Unpacker } from '../../core/plugin.js';
import { tarUnpacker } from './tar.js';
import { zipUnpacker } from './zip.js';

/** The unpackers of a default scan, most specific first. */
export function defaultUnpackers(): Unpacker[] {
  return [zipUnpacker, tarUnpacker];
}
