import {
  type AstNode,
  asNode,
  callArguments,
  calledFunction,
  callee,
  children,
  dottedPath,
  identifierName,
  isTrueLiteral,
  memberName,
  propertyValue,
  unwrap,
} from '../ast.js';
import type { ModuleRef, WalkContext } from '../context.js';
import {
  aliasedGlobal,
  calleeModule,
  calleePath,
  constantString,
  GLOBAL_OBJECTS,
  globalValue,
  reachesFunctionConstructor,
  requiredModule,
} from '../modules.js';
import type { Family } from '../walker.js';

export const BINARY_ENCODINGS = new Set(['base64', 'base64url', 'hex']);
export const INFLATES = new Set([
  'inflateSync',
  'inflateRawSync',
  'gunzipSync',
  'unzipSync',
  'brotliDecompressSync',
  'inflate',
  'inflateRaw',
  'gunzip',
  'unzip',
  'brotliDecompress',
]);
export const VM_RUNS = new Set([
  'runInThisContext',
  'runInNewContext',
  'runInContext',
  'compileFunction',
  'Script',
  'SourceTextModule',
]);

/** What kind of decoder a call is, if it is one: base64/hex buffers, atob, char codes, decipher, inflate. */
function decoderKind(node: AstNode, ctx: WalkContext): string | undefined {
  const fn = callee(node);
  const path = calleePath(node, ctx);
  const args = callArguments(node);
  if (path === 'atob' || path === 'window.atob' || path === 'globalThis.atob') return 'base64';
  if (path === 'Buffer.from' || path === 'Buffer' || path === 'Buffer.alloc') {
    const encoding = constantString(args[1], ctx);
    if (encoding !== undefined && BINARY_ENCODINGS.has(encoding.toLowerCase())) return encoding.toLowerCase();
    if (unwrap(args[0])?.type === 'ArrayExpression' && children(unwrap(args[0])!, 'elements').length >= 3)
      return 'byte array';
    return undefined;
  }
  if (path === 'String.fromCharCode' || path === 'String.fromCodePoint') return 'char codes';
  if (path === 'String.fromCharCode.apply' || path === 'String.fromCharCode.call') return 'char codes';
  const ref = calleeModule(node, ctx);
  if (ref?.module === 'crypto' && (ref.member === 'createDecipheriv' || ref.member === 'createDecipher'))
    return 'decipher';
  if (ref?.module === 'zlib' && ref.member !== undefined && INFLATES.has(ref.member)) return 'inflate';
  if (ref && /steg|stegan/i.test(ref.module)) return 'steganography';
  const name = identifierName(fn);
  // A home-made char-code function is a decoder only when applied to a constant (`g('7265...')`):
  // escaping helpers use fromCharCode on variable input all the time.
  if (name !== undefined && ctx.lookup(name)?.isDecoder && constantString(args[0], ctx) !== undefined)
    return 'custom decoder';
  return undefined;
}

/** Which code-execution sink a call or `new` is, if it is one. */
function sinkKind(
  node: AstNode,
  ctx: WalkContext,
):
  | {
      capability: 'code.eval' | 'code.function-constructor' | 'code.vm' | 'code.module-compile';
      detail: string;
    }
  | undefined {
  const fn = calledFunction(node);
  const name = identifierName(fn);
  if (name === 'eval' && ctx.lookup('eval') === undefined) return { capability: 'code.eval', detail: 'eval' };
  if (name === 'Function' && ctx.lookup('Function') === undefined)
    return { capability: 'code.function-constructor', detail: 'Function' };
  if (reachesFunctionConstructor(fn))
    return { capability: 'code.function-constructor', detail: 'Function (through .constructor)' };
  const alias = aliasedGlobal(fn, ctx);
  if (alias === 'eval') return { capability: 'code.eval', detail: `eval (as ${name})` };
  if (alias === 'Function')
    return { capability: 'code.function-constructor', detail: `Function (as ${name})` };
  if (name !== undefined && ctx.lookup(name)?.isCodeFunction)
    return { capability: 'code.function-constructor', detail: `${name}() made by new Function` };
  if (name === 'setTimeout' || name === 'setInterval') {
    // A string (not a function) as the callback is evaluated as code.
    const first = unwrap(callArguments(node)[0]);
    if (
      first &&
      (first.type === 'TemplateLiteral' ||
        first.type === 'BinaryExpression' ||
        (first.type === 'Literal' && typeof first.value === 'string'))
    ) {
      return { capability: 'code.eval', detail: `${name} with a string` };
    }
  }
  if (fn?.type === 'MemberExpression') {
    const member = memberName(fn);
    const base = identifierName(asNode(fn.object));
    if (base && GLOBAL_OBJECTS.has(base) && member === 'eval')
      return { capability: 'code.eval', detail: `${base}.eval` };
    if (base && GLOBAL_OBJECTS.has(base) && member === 'Function')
      return { capability: 'code.function-constructor', detail: `${base}.Function` };
    if (member === '_compile')
      return { capability: 'code.module-compile', detail: `${dottedPath(fn) ?? '?'}` };
    // `eval.call(null, code)`, `Function.apply(null, [code])`
    if (member === 'call' || member === 'apply') {
      const target = globalValue(asNode(fn.object), ctx);
      if (target === 'eval') return { capability: 'code.eval', detail: `eval.${member}` };
      if (target === 'Function')
        return { capability: 'code.function-constructor', detail: `Function.${member}` };
    }
  }
  // `Reflect.apply(eval, null, [code])`, `Reflect.construct(Function, [code])`
  const path = calleePath(node, ctx);
  if (path === 'Reflect.apply' || path === 'Reflect.construct') {
    const target = globalValue(callArguments(node)[0], ctx);
    if (target === 'eval') return { capability: 'code.eval', detail: `${path}(eval)` };
    if (target === 'Function')
      return { capability: 'code.function-constructor', detail: `${path}(Function)` };
  }
  const ref = calleeModule(node, ctx);
  if (ref?.module === 'vm' && ref.member !== undefined && VM_RUNS.has(ref.member))
    return { capability: 'code.vm', detail: `vm.${ref.member}` };
  // `new Worker(code, { eval: true })`: the thread runs its first argument as code.
  if (isWorker(ref) && isTrueLiteral(propertyValue(callArguments(node)[1], 'eval')))
    return { capability: 'code.eval', detail: 'worker_threads.Worker with eval: true' };
  return undefined;
}

/** `worker_threads.Worker`, which takes code instead of a file name with `{ eval: true }`. */
export function isWorker(ref: ModuleRef | undefined): boolean {
  return ref?.module === 'worker_threads' && ref.member === 'Worker';
}

function onEnterCall(node: AstNode, ctx: WalkContext): void {
  const kind = decoderKind(node, ctx);
  if (kind !== undefined) {
    ctx.taintEvents++;
    ctx.emit('code.decode', node, kind);
  }
  const fn = calledFunction(node);
  if (
    (identifierName(fn) === 'require' && ctx.lookup('require') === undefined) ||
    aliasedGlobal(fn, ctx) === 'require'
  ) {
    const spec = callArguments(node)[0];
    if (spec && requiredModule(node, ctx) === undefined && spec.type !== 'SpreadElement') {
      ctx.emit('code.dynamic-require', node, 'require(non-constant)');
    }
  }
}

function onExitCall(node: AstNode, ctx: WalkContext): void {
  const sink = sinkKind(node, ctx);
  if (!sink) return;
  // `Function('return this')()` is every bundle's way to find the global object: a constant is no dynamic code.
  const args = callArguments(node);
  const isConstantCode = args.length > 0 && args.every((arg) => constantString(arg, ctx) !== undefined);
  ctx.codeEvents++;
  ctx.emit(sink.capability, node, isConstantCode ? `${sink.detail} (constant)` : sink.detail);
  if (ctx.taintedSinceMark()) ctx.emit('code.decode-then-execute', node, sink.detail);
}

/** eval, Function, vm, module._compile, computed require/import(), decoders, and decode-then-execute. */
export const dynamicCodeFamily: Family = {
  name: 'dynamic-code',
  enter: {
    CallExpression: onEnterCall,
    NewExpression(node, ctx) {
      const kind = decoderKind(node, ctx);
      if (kind !== undefined) {
        ctx.taintEvents++;
        ctx.emit('code.decode', node, kind);
      }
    },
    MemberExpression(node, ctx) {
      const name = memberName(node);
      if (
        (name === 'fromCharCode' || name === 'fromCodePoint') &&
        identifierName(asNode(node.object)) === 'String'
      )
        ctx.charCodeEvents++;
    },
    // Function`code`: the Function constructor called as a template's tag (with the template's strings).
    TaggedTemplateExpression(node, ctx) {
      if (globalValue(asNode(node.tag), ctx) !== 'Function') return;
      const quasi = asNode(node.quasi);
      const isConstant = quasi !== undefined && children(quasi, 'expressions').length === 0;
      ctx.codeEvents++;
      ctx.emit(
        'code.function-constructor',
        node,
        `Function (tagged template)${isConstant ? ' (constant)' : ''}`,
      );
    },
    ImportExpression(node, ctx) {
      if (requiredModule(node, ctx) === undefined)
        ctx.emit('code.dynamic-import', node, 'import(non-constant)');
    },
  },
  exit: {
    CallExpression: onExitCall,
    NewExpression: onExitCall,
  },
};
