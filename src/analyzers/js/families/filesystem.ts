import { type AstNode, callArguments } from '../ast.js';
import type { WalkContext } from '../context.js';
import { calleeModule, constantString } from '../modules.js';
import type { Family } from '../walker.js';

export const WRITES = new Set([
  'writeFile',
  'writeFileSync',
  'appendFile',
  'appendFileSync',
  'createWriteStream',
  'copyFile',
  'copyFileSync',
  'cp',
  'cpSync',
  'rename',
  'renameSync',
  'symlink',
  'symlinkSync',
  'outputFile',
  'outputFileSync',
  'writeJson',
  'writeJsonSync',
  'outputJson',
  'outputJsonSync',
  'copy',
  'copySync',
  'move',
  'moveSync',
]);
export const DELETES = new Set([
  'unlink',
  'unlinkSync',
  'rm',
  'rmSync',
  'rmdir',
  'rmdirSync',
  'remove',
  'removeSync',
  'emptyDir',
  'emptyDirSync',
]);
export const CHMODS = new Set(['chmod', 'chmodSync', 'fchmod', 'fchmodSync', 'lchmod', 'lchmodSync']);
export const DELETE_LIBRARIES = new Set(['rimraf', 'del', 'trash']);

/** Native libraries a process may be tricked into loading when planted next to it. */
export const LIBRARY_FILE = /\.(dll|so|dylib)(\.\d+)*$/i;

function onCall(node: AstNode, ctx: WalkContext): void {
  const ref = calleeModule(node, ctx);
  if (!ref) return;
  if (DELETE_LIBRARIES.has(ref.module)) {
    ctx.emit('filesystem.delete', node, ref.member ? `${ref.module}.${ref.member}` : ref.module);
    return;
  }
  if (ref.module !== 'fs' || ref.member === undefined) return;
  const detail = `fs.${ref.member}`;
  if (WRITES.has(ref.member)) {
    ctx.emit('filesystem.write', node, detail);
    const target = constantString(callArguments(node)[0], ctx);
    if (target !== undefined && LIBRARY_FILE.test(target))
      ctx.emit('process.dll-load', node, `writes library ${target.slice(0, 60)}`);
  } else if (DELETES.has(ref.member)) ctx.emit('filesystem.delete', node, detail);
  else if (CHMODS.has(ref.member)) ctx.emit('filesystem.chmod', node, detail);
}

/** File-system writes, deletions and permission changes through fs (and fs-extra, graceful-fs, rimraf). */
export const filesystemFamily: Family = {
  name: 'filesystem',
  enter: {
    CallExpression(node, ctx) {
      onCall(node, ctx);
    },
  },
};
