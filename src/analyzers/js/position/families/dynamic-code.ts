import type { JsCapability } from '../../facts.js';
import { BINARY_ENCODINGS, INFLATES, isWorker, VM_RUNS } from '../../families/dynamic-code.js';
import { GLOBAL_OBJECTS } from '../../modules.js';
import type { PositionFamily } from '../dispatch.js';
import { FIELDS, TAGS } from '../layout.generated.js';
import {
  aliasedGlobal,
  calleeModule,
  calleeName,
  calleePath,
  calleeSymbol,
  constantString,
  globalValue,
  type PositionState,
  reachesFunctionConstructor,
  requiredModuleOfCall,
  span,
} from '../modules.js';
import { isMemberTag } from '../read.js';

const E = TAGS.Expression;
const CALLEE = FIELDS.CallExpression.callee;
const ARGUMENTS = FIELDS.CallExpression.arguments;

/** What kind of decoder a call is, if it is one: base64/hex buffers, atob, char codes, decipher, inflate. */
function decoderKind(call: number, s: PositionState): string | undefined {
  const r = s.r;
  const path = calleePath(s, call);
  if (path === 'atob' || path === 'window.atob' || path === 'globalThis.atob') return 'base64';
  if (path === 'Buffer.from' || path === 'Buffer' || path === 'Buffer.alloc') {
    const second = r.argument(call, 1);
    const encoding = second === -1 ? undefined : constantString(s, second);
    if (encoding !== undefined && BINARY_ENCODINGS.has(encoding.toLowerCase())) return encoding.toLowerCase();
    const first = r.argument(call, 0);
    if (first !== -1) {
      const array = r.unwrap(first);
      if (r.tag() === E.ArrayExpression && r.arrayLength(array) >= 3) return 'byte array';
    }
    return undefined;
  }
  if (path === 'String.fromCharCode' || path === 'String.fromCodePoint') return 'char codes';
  if (path === 'String.fromCharCode.apply' || path === 'String.fromCharCode.call') return 'char codes';
  const ref = calleeModule(s, call);
  if (ref?.module === 'crypto' && (ref.member === 'createDecipheriv' || ref.member === 'createDecipher'))
    return 'decipher';
  if (ref?.module === 'zlib' && ref.member !== undefined && INFLATES.has(ref.member)) return 'inflate';
  if (ref && /steg|stegan/i.test(ref.module)) return 'steganography';
  // A home-made char-code function is a decoder only when applied to a constant (`g('7265...')`):
  // escaping helpers use fromCharCode on variable input all the time.
  if (calleeSymbol(s, call)?.isDecoder) {
    const first = r.argument(call, 0);
    if (first !== -1 && constantString(s, first) !== undefined) return 'custom decoder';
  }
  return undefined;
}

type SinkCapability = Extract<
  JsCapability,
  'code.eval' | 'code.function-constructor' | 'code.vm' | 'code.module-compile'
>;

/** Which code-execution sink a call or `new` is, if it is one. */
function sinkKind(
  call: number,
  s: PositionState,
): { capability: SinkCapability; detail: string } | undefined {
  const r = s.r;
  const ctx = s.ctx;
  // (0, eval)(code): an indirect eval.
  const fnSlot = r.calledFunctionSlot(call);
  const direct = fnSlot === call + CALLEE;
  const fn = r.unwrap(fnSlot);
  const fnTag = r.tag();
  const name = direct ? calleeName(s, call) : r.identifierName(fnSlot);
  if (name === 'eval' && ctx.lookup('eval') === undefined) return { capability: 'code.eval', detail: 'eval' };
  if (name === 'Function' && ctx.lookup('Function') === undefined)
    return { capability: 'code.function-constructor', detail: 'Function' };
  const alias = aliasedGlobal(s, fnSlot);
  if (alias === 'eval') return { capability: 'code.eval', detail: `eval (as ${name})` };
  if (alias === 'Function')
    return { capability: 'code.function-constructor', detail: `Function (as ${name})` };
  if (name !== undefined && (direct ? calleeSymbol(s, call) : ctx.lookup(name))?.isCodeFunction)
    return { capability: 'code.function-constructor', detail: `${name}() made by new Function` };
  if (name === 'setTimeout' || name === 'setInterval') {
    // A string (not a function) as the callback is evaluated as code.
    const first = r.argument(call, 0);
    if (first !== -1) {
      r.unwrap(first);
      const tag = r.tag();
      if (tag === E.TemplateLiteral || tag === E.BinaryExpression || tag === E.StringLiteral)
        return { capability: 'code.eval', detail: `${name} with a string` };
    }
  }
  if (isMemberTag(fnTag)) {
    const member = r.memberNameAt(fn, fnTag);
    // (a member callee has no name: none of the checks above answered for it)
    if (member === 'constructor' && reachesFunctionConstructor(s, fnSlot))
      return { capability: 'code.function-constructor', detail: 'Function (through .constructor)' };
    const base = r.identifierName(fn + FIELDS.StaticMemberExpression.object);
    if (base && GLOBAL_OBJECTS.has(base) && member === 'eval')
      return { capability: 'code.eval', detail: `${base}.eval` };
    if (base && GLOBAL_OBJECTS.has(base) && member === 'Function')
      return { capability: 'code.function-constructor', detail: `${base}.Function` };
    if (member === '_compile')
      return { capability: 'code.module-compile', detail: `${r.dottedPath(fnSlot) ?? '?'}` };
    // `eval.call(null, code)`, `Function.apply(null, [code])`
    if (member === 'call' || member === 'apply') {
      const target = globalValue(s, fn + FIELDS.StaticMemberExpression.object);
      if (target === 'eval') return { capability: 'code.eval', detail: `eval.${member}` };
      if (target === 'Function')
        return { capability: 'code.function-constructor', detail: `Function.${member}` };
    }
  }
  // `Reflect.apply(eval, null, [code])`, `Reflect.construct(Function, [code])`
  const path = calleePath(s, call);
  if (path === 'Reflect.apply' || path === 'Reflect.construct') {
    const first = r.argument(call, 0);
    const target = first === -1 ? undefined : globalValue(s, first);
    if (target === 'eval') return { capability: 'code.eval', detail: `${path}(eval)` };
    if (target === 'Function')
      return { capability: 'code.function-constructor', detail: `${path}(Function)` };
  }
  const ref = calleeModule(s, call);
  if (ref?.module === 'vm' && ref.member !== undefined && VM_RUNS.has(ref.member))
    return { capability: 'code.vm', detail: `vm.${ref.member}` };
  // `new Worker(code, { eval: true })`: the thread runs its first argument as code.
  if (isWorker(ref)) {
    const options = r.argument(call, 1);
    if (options !== -1 && r.isTrueLiteral(r.propertyValueSlot(options, 'eval')))
      return { capability: 'code.eval', detail: 'worker_threads.Worker with eval: true' };
  }
  return undefined;
}

function onDecoder(call: number, s: PositionState): void {
  const kind = decoderKind(call, s);
  if (kind !== undefined) {
    s.ctx.taintEvents++;
    s.ctx.emit('code.decode', span(s, call), kind);
  }
}

function onEnterCall(call: number, s: PositionState): void {
  onDecoder(call, s);
  const r = s.r;
  const fnSlot = r.calledFunctionSlot(call);
  const name = fnSlot === call + CALLEE ? calleeName(s, call) : r.identifierName(fnSlot);
  if (
    (name === 'require' && s.ctx.lookup('require') === undefined) ||
    aliasedGlobal(s, fnSlot) === 'require'
  ) {
    const first = r.argument(call, 0);
    if (
      first !== -1 &&
      requiredModuleOfCall(s, call) === undefined &&
      r.buffer[first] !== TAGS.Argument.SpreadElement
    )
      s.ctx.emit('code.dynamic-require', span(s, call), 'require(non-constant)');
  }
}

function onExitCall(call: number, s: PositionState): void {
  const sink = sinkKind(call, s);
  if (!sink) return;
  const r = s.r;
  const ctx = s.ctx;
  // `Function('return this')()` is every bundle's way to find the global object: a constant is no dynamic code.
  const count = r.vecLength(call + ARGUMENTS);
  let isConstantCode = count > 0;
  for (let i = 0; isConstantCode && i < count; i++)
    isConstantCode = constantString(s, r.argument(call, i)) !== undefined;
  ctx.codeEvents++;
  ctx.emit(sink.capability, span(s, call), isConstantCode ? `${sink.detail} (constant)` : sink.detail);
  if (ctx.taintedSinceMark()) ctx.emit('code.decode-then-execute', span(s, call), sink.detail);
}

/** `String.fromCharCode` seen: a function that contains it may be a home-made decoder. */
function onMember(pos: number, s: PositionState, tag: number): void {
  const name = s.r.memberNameAt(pos, tag);
  if (
    (name === 'fromCharCode' || name === 'fromCodePoint') &&
    s.r.identifierName(pos + FIELDS.StaticMemberExpression.object) === 'String'
  )
    s.ctx.charCodeEvents++;
}

/** eval, Function, vm, module._compile, computed require/import(), decoders, and decode-then-execute. */
export const dynamicCodeFamily: PositionFamily = {
  name: 'dynamic-code',
  enter: {
    CallExpression: onEnterCall,
    NewExpression: onDecoder,
    StaticMemberExpression: (pos, s) => onMember(pos, s, E.StaticMemberExpression),
    ComputedMemberExpression: (pos, s) => onMember(pos, s, E.ComputedMemberExpression),
    // Function`code`: the Function constructor called as a template's tag (with the template's strings).
    TaggedTemplateExpression(pos, s) {
      if (globalValue(s, pos + FIELDS.TaggedTemplateExpression.tag) !== 'Function') return;
      const expressions = pos + FIELDS.TaggedTemplateExpression.quasi + FIELDS.TemplateLiteral.expressions;
      const isConstant = s.r.vecLength(expressions) === 0;
      s.ctx.codeEvents++;
      s.ctx.emit(
        'code.function-constructor',
        span(s, pos),
        `Function (tagged template)${isConstant ? ' (constant)' : ''}`,
      );
    },
    ImportExpression(pos, s) {
      if (constantString(s, pos + FIELDS.ImportExpression.source) === undefined)
        s.ctx.emit('code.dynamic-import', span(s, pos), 'import(non-constant)');
    },
  },
  exit: {
    CallExpression: onExitCall,
    NewExpression: onExitCall,
  },
};
