import { CHMODS, DELETE_LIBRARIES, DELETES, LIBRARY_FILE, WRITES } from '../../families/filesystem.js';
import type { PositionFamily } from '../dispatch.js';
import { calleeModule, constantString, type PositionState, span } from '../modules.js';

function onCall(call: number, s: PositionState): void {
  const ref = calleeModule(s, call);
  if (!ref) return;
  const ctx = s.ctx;
  if (DELETE_LIBRARIES.has(ref.module)) {
    ctx.emit('filesystem.delete', span(s, call), ref.member ? `${ref.module}.${ref.member}` : ref.module);
    return;
  }
  if (ref.module !== 'fs' || ref.member === undefined) return;
  const detail = `fs.${ref.member}`;
  if (WRITES.has(ref.member)) {
    ctx.emit('filesystem.write', span(s, call), detail);
    const first = s.r.argument(call, 0);
    const target = first === -1 ? undefined : constantString(s, first);
    if (target !== undefined && LIBRARY_FILE.test(target))
      ctx.emit('process.dll-load', span(s, call), `writes library ${target.slice(0, 60)}`);
  } else if (DELETES.has(ref.member)) ctx.emit('filesystem.delete', span(s, call), detail);
  else if (CHMODS.has(ref.member)) ctx.emit('filesystem.chmod', span(s, call), detail);
}

/** File-system writes, deletions and permission changes through fs (and fs-extra, graceful-fs, rimraf). */
export const filesystemFamily: PositionFamily = {
  name: 'filesystem',
  enter: { CallExpression: onCall },
};
