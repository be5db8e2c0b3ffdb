import type { IntelPack } from '../pack.js';
import { THREE_CX_PACK } from './pack-data.js';

/** The 3CX (March 2023) intel pack shipped with Countersign. */
export function loadThreeCxPack(): IntelPack {
  return THREE_CX_PACK;
}
