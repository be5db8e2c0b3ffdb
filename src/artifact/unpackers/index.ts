import type { Unpacker } from '../../core/plugin.js';
import { asarUnpacker } from './asar.js';
import { cabUnpacker } from './cab.js';
import { gzipUnpacker } from './gzip.js';
import { msiUnpacker } from './msi.js';
import { peEmbeddedZipUnpacker } from './pe-zip.js';
import { tarUnpacker } from './tar.js';
import { zipUnpacker } from './zip.js';

/** The unpackers of a default scan. Each accepts by detected type, so order does not matter. */
export function defaultUnpackers(): Unpacker[] {
  return [
    zipUnpacker,
    gzipUnpacker,
    tarUnpacker,
    asarUnpacker,
    msiUnpacker,
    cabUnpacker,
    peEmbeddedZipUnpacker,
  ];
}
