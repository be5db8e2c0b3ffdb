/**
 * Reading a tree in oxc's buffer by position: the position-walk counterparts of `../ast.ts`
 * (`unwrap`, `identifierName`, `stringValue`, `memberName`, `dottedPath`), with the same answers
 * (`read.test.ts` compares them on every call of real files).
 *
 * A node's position does not say what type it is: its parent's field does, as the tag byte of an
 * enum (`Expression`, `Argument`...). So these helpers take the position of such a field, a
 * *slot*, and the node position they answer comes with its type in `reader.tag`, in the numbering
 * of `Expression`, which `Argument`, `PropertyKey` and `ArrayExpressionElement` share for their
 * expression variants. (`ChainElement` numbers its call and `!` apart; `unwrap` translates them.)
 * One reader per thread, pointed at each file in turn: nothing is allocated per node.
 */

import { MAX_CONCATENATION_DEPTH, MAX_JOINED_ELEMENTS } from '../ast.js';
import type { BufferTree } from '../oxc-raw.js';
import { FIELDS, TAGS, VALUES, VEC_STRIDES } from './layout.generated.js';

const E = TAGS.Expression;
const CHAIN = TAGS.ChainElement;
const A = TAGS.AssignmentTarget;
/** The `BinaryOperator` value of `+`. */
const PLUS = VALUES.BinaryOperator.indexOf('+');
/** `Option<Expression>` holds this tag when empty. */
export const NO_EXPRESSION = 255;
const utf8Slice = Buffer.prototype.utf8Slice as (this: Uint8Array, start: number, end: number) => string;
const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;

/** Whether an `Expression` tag is one of the three member expressions (`a.b`, `a[b]`, `a.#b`). */
export function isMemberTag(tag: number): boolean {
  return (
    tag === E.StaticMemberExpression || tag === E.ComputedMemberExpression || tag === E.PrivateFieldExpression
  );
}

export class PositionReader {
  buffer: Uint8Array = new Uint8Array(0);
  int32: Int32Array = new Int32Array(0);
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(8));
  source = '';
  private sourceStart = 0;
  private sourceIsAscii = true;
  private sourceBytes = 0;
  /** The source's UTF-8 bytes as a Latin-1 string, made on first use in a non-ASCII file. */
  private sourceLatin: string | undefined;
  /** TypeScript trees: their ESTree spans template elements with their delimiters. */
  isTypeScript = false;
  /** The `Expression` tag of the node that `expression` or `unwrap` answered last. */
  private current = -1;

  /**
   * The `Expression` tag of the node that `expression` or `unwrap` answered last (a method, not a
   * field, so that TypeScript does not keep a narrowed type across the calls that change it).
   */
  tag(): number {
    return this.current;
  }

  /** Points the reader at a new tree (the same buffer, a new file). */
  reset(tree: BufferTree, source: string): void {
    this.buffer = tree.buffer;
    this.int32 = tree.buffer.int32;
    if (this.view.buffer !== tree.buffer.buffer)
      this.view = new DataView(tree.buffer.buffer, tree.buffer.byteOffset, tree.buffer.byteLength);
    this.source = source;
    this.sourceStart = tree.sourceStart;
    this.sourceIsAscii = tree.sourceIsAscii;
    this.sourceBytes = tree.sourceBytes;
    this.sourceLatin = undefined;
    this.isTypeScript = tree.isTypeScript;
  }

  start(pos: number): number {
    return this.int32[pos >> 2]!;
  }

  end(pos: number): number {
    return this.int32[(pos >> 2) + 1]!;
  }

  /** A `Str` field: a pointer into the source (or the arena, for escaped text) and a length. */
  str(field: number): string {
    const field32 = field >> 2;
    const length = this.int32[field32 + 2]!;
    if (length === 0) return '';
    const at = this.int32[field32]!;
    if (at >= this.sourceStart) {
      if (this.sourceIsAscii) return this.source.substr(at - this.sourceStart, length);
      // In a file with some non-ASCII text, most names and strings are still ASCII: their bytes
      // are their characters, so they are sliced from the bytes read as Latin-1, as oxc's own
      // deserialiser does, rather than decoded one native call each.
      if (length <= 64) {
        const buffer = this.buffer;
        const end = at + length;
        let i = at;
        while (i < end && buffer[i]! < 128) i++;
        if (i === end) {
          this.sourceLatin ??= latin1Slice.call(
            buffer,
            this.sourceStart,
            this.sourceStart + this.sourceBytes,
          );
          return this.sourceLatin.substr(at - this.sourceStart, length);
        }
      }
    }
    return utf8Slice.call(this.buffer, at, at + length);
  }

  /** How many bytes of UTF-8 a `Str` field holds (its length in characters when ASCII). */
  strBytes(field: number): number {
    return this.int32[(field >> 2) + 2]!;
  }

  /** Byte `index` of a `Str` field's text. */
  strByte(field: number, index: number): number {
    return this.buffer[this.int32[field >> 2]! + index]!;
  }

  /**
   * A `JSStr` field (a string literal's value): a `Str`, unless the literal holds lone surrogates
   * (`'\uD800'`), which oxc keeps as code points that UTF-8 cannot carry.
   */
  jsStr(field: number): string {
    if (this.buffer[field + 12] === 0) return this.str(field);
    const field32 = field >> 2;
    let at = this.int32[field32]!;
    const end = at + this.int32[field32 + 2]!;
    const buffer = this.buffer;
    let out = '';
    while (at < end) {
      const first = buffer[at++]!;
      let codePoint: number;
      if (first < 0x80) codePoint = first;
      else if (first < 0xe0) codePoint = ((first & 0x1f) << 6) | (buffer[at++]! & 0x3f);
      else if (first < 0xf0)
        codePoint = ((first & 0x0f) << 12) | ((buffer[at++]! & 0x3f) << 6) | (buffer[at++]! & 0x3f);
      else
        codePoint =
          ((first & 7) << 18) |
          ((buffer[at++]! & 0x3f) << 12) |
          ((buffer[at++]! & 0x3f) << 6) |
          (buffer[at++]! & 0x3f);
      out += String.fromCodePoint(codePoint);
    }
    return out;
  }

  /** An `f64` field (a numeric literal's value). */
  float64(field: number): number {
    return this.view.getFloat64(field, true);
  }

  /** Where the elements of a `Vec` field start. */
  vecStart(field: number): number {
    return this.int32[field >> 2]!;
  }

  vecLength(field: number): number {
    return this.int32[(field >> 2) + 2]!;
  }

  /** The node in an `Expression`-numbered slot; its tag goes to `tag()` (`NO_EXPRESSION` when empty). */
  expression(slot: number): number {
    this.current = this.buffer[slot]!;
    return this.int32[(slot + 8) >> 2]!;
  }

  /**
   * The node an expression slot holds once parentheses, TypeScript's `as`/`!`/`satisfies`/`<T>`,
   * `await` and optional chains around it are stripped (`../ast.ts`'s `unwrap`).
   */
  unwrap(slot: number): number {
    let pos = this.expression(slot);
    for (;;) {
      switch (this.current) {
        case E.ParenthesizedExpression:
          pos = this.expression(pos + FIELDS.ParenthesizedExpression.expression);
          break;
        case E.TSAsExpression:
          pos = this.expression(pos + FIELDS.TSAsExpression.expression);
          break;
        case E.TSSatisfiesExpression:
          pos = this.expression(pos + FIELDS.TSSatisfiesExpression.expression);
          break;
        case E.TSTypeAssertion:
          pos = this.expression(pos + FIELDS.TSTypeAssertion.expression);
          break;
        case E.TSNonNullExpression:
          pos = this.expression(pos + FIELDS.TSNonNullExpression.expression);
          break;
        case E.AwaitExpression:
          pos = this.expression(pos + FIELDS.AwaitExpression.argument);
          break;
        case E.ChainExpression:
          pos = this.chainElement(pos + FIELDS.ChainExpression.expression);
          break;
        default:
          return pos;
      }
    }
  }

  /** A `ChainElement` slot, its tag translated to `Expression`'s numbering. */
  private chainElement(slot: number): number {
    const pos = this.expression(slot);
    if (this.current === CHAIN.CallExpression) this.current = E.CallExpression;
    else if (this.current === CHAIN.TSNonNullExpression) this.current = E.TSNonNullExpression;
    return pos;
  }

  /** The name of the identifier a slot holds, unwrapped. */
  identifierName(slot: number): string | undefined {
    const pos = this.unwrap(slot);
    return this.current === E.IdentifierReference
      ? this.str(pos + FIELDS.IdentifierReference.name)
      : undefined;
  }

  /** A string literal's value, or a template literal's without substitutions, unwrapped. */
  stringValue(slot: number, depth = 0): string | undefined {
    const pos = this.unwrap(slot);
    if (this.current === E.StringLiteral) return this.jsStr(pos + FIELDS.StringLiteral.value);
    if (this.current === E.BinaryExpression) return this.concatenation(pos, depth);
    if (this.current === E.CallExpression) return this.joinedArray(pos, depth);
    if (this.current !== E.TemplateLiteral) return undefined;
    if (this.vecLength(pos + FIELDS.TemplateLiteral.expressions) !== 0) return undefined;
    if (this.vecLength(pos + FIELDS.TemplateLiteral.quasis) === 0) return undefined;
    const value = this.vecStart(pos + FIELDS.TemplateLiteral.quasis) + FIELDS.TemplateElement.value;
    const cooked = value + FIELDS.TemplateElementValue.cooked;
    // An invalid escape (`\u{`) in a tagged template leaves no cooked value: ESTree's `null`.
    if (this.int32[cooked >> 2] === 0 && this.int32[(cooked >> 2) + 1] === 0)
      return this.str(value + FIELDS.TemplateElementValue.raw);
    return this.jsStr(cooked);
  }

  /** `'ev' + 'al'` at a `BinaryExpression`'s position: the joined string, or undefined. */
  joinedStrings(pos: number): string | undefined {
    return this.concatenation(pos, 0);
  }

  /**
   * The slot of the function a call (or `new`) calls, `../ast.ts`'s `calledFunction`: its callee,
   * or the last expression of a sequence there (`(0, eval)(c)`, `(0, require)('x')`).
   */
  calledFunctionSlot(call: number): number {
    const slot = call + FIELDS.CallExpression.callee;
    const fn = this.unwrap(slot);
    if (this.current !== E.SequenceExpression) return slot;
    const expressions = fn + FIELDS.SequenceExpression.expressions;
    const count = this.vecLength(expressions);
    return count === 0 ? slot : this.vecStart(expressions) + (count - 1) * VEC_STRIDES.Expression;
  }

  /**
   * The slot of the value of an object literal's property named `key`, the last one when the name
   * repeats (`../ast.ts`'s `propertyValue`); -1 when the slot holds no object literal or it has none.
   */
  propertyValueSlot(slot: number, key: string): number {
    const object = this.unwrap(slot);
    if (this.current !== E.ObjectExpression) return -1;
    const properties = object + FIELDS.ObjectExpression.properties;
    const count = this.vecLength(properties);
    const first = this.vecStart(properties);
    let value = -1;
    for (let i = 0; i < count; i++) {
      const kind = first + i * VEC_STRIDES.ObjectPropertyKind;
      if (this.buffer[kind] !== TAGS.ObjectPropertyKind.ObjectProperty) continue;
      const property = this.int32[(kind + 8) >> 2]!;
      // ESTree's `identifierName(key) ?? stringValue(key)`, computed or not.
      const keySlot = property + FIELDS.ObjectProperty.key;
      const name =
        this.buffer[keySlot] === TAGS.PropertyKey.IdentifierName
          ? this.str(this.int32[(keySlot + 8) >> 2]! + FIELDS.IdentifierName.name)
          : (this.identifierName(keySlot) ?? this.stringValue(keySlot));
      if (name === key) value = property + FIELDS.ObjectProperty.value;
    }
    return value;
  }

  /** Whether an expression slot holds `true` written as such (`../ast.ts`'s `isTrueLiteral`). */
  isTrueLiteral(slot: number): boolean {
    if (slot === -1) return false;
    const pos = this.unwrap(slot);
    return this.current === E.BooleanLiteral && this.buffer[pos + FIELDS.BooleanLiteral.value] === 1;
  }

  /** `['ev', 'al'].join('')` at a `CallExpression`'s position: the joined string, or undefined. */
  joinedArrayAt(call: number): string | undefined {
    return this.joinedArray(call, 0);
  }

  /** `['ev', 'al'].join('')` (`../ast.ts`'s `joinedArray`). */
  private joinedArray(call: number, depth: number): string | undefined {
    if (depth >= MAX_CONCATENATION_DEPTH) return undefined;
    const fn = this.unwrap(call + FIELDS.CallExpression.callee);
    const fnTag = this.current;
    // `join` is 4 bytes: a static member of any other length is not read.
    if (
      fnTag === E.StaticMemberExpression &&
      this.strBytes(fn + FIELDS.StaticMemberExpression.property + FIELDS.IdentifierName.name) !== 4
    )
      return this.notJoined();
    if (this.memberNameAt(fn, fnTag) !== 'join') return this.notJoined();
    const array = this.unwrap(fn + FIELDS.StaticMemberExpression.object);
    if (this.current !== E.ArrayExpression) return this.notJoined();
    const count = this.vecLength(call + FIELDS.CallExpression.arguments);
    if (count > 1) return this.notJoined();
    const separator = count === 0 ? ',' : this.stringValue(this.argument(call, 0), depth + 1);
    const parts = separator === undefined ? undefined : this.stringElementsAt(array, depth + 1);
    this.current = E.CallExpression;
    return parts?.join(separator);
  }

  /** `../ast.ts`'s `stringElements` of the array literal in an expression slot. */
  stringElements(slot: number): string[] | undefined {
    const array = this.unwrap(slot);
    return this.current === E.ArrayExpression ? this.stringElementsAt(array, 0) : undefined;
  }

  private stringElementsAt(array: number, depth: number): string[] | undefined {
    const elements = array + FIELDS.ArrayExpression.elements;
    const length = this.vecLength(elements);
    if (length > MAX_JOINED_ELEMENTS) return undefined;
    const parts: string[] = [];
    for (let i = 0; i < length; i++) {
      const element = this.vecStart(elements) + i * VEC_STRIDES.ArrayExpressionElement;
      const part =
        this.buffer[element] === TAGS.ArrayExpressionElement.Elision
          ? undefined
          : this.stringValue(element, depth);
      if (part === undefined) return undefined;
      parts.push(part);
    }
    return parts;
  }

  /** `joinedArray`'s no: the tag read last is the call's again, as `stringValue`'s callers expect. */
  private notJoined(): undefined {
    this.current = E.CallExpression;
    return undefined;
  }

  /** `'ev' + 'al'`: the strings joined, when both sides are constant strings (`../ast.ts`'s `concatenation`). */
  private concatenation(pos: number, depth: number): string | undefined {
    if (depth >= MAX_CONCATENATION_DEPTH || this.buffer[pos + FIELDS.BinaryExpression.operator] !== PLUS)
      return undefined;
    const left = this.stringValue(pos + FIELDS.BinaryExpression.left, depth + 1);
    const right =
      left === undefined ? undefined : this.stringValue(pos + FIELDS.BinaryExpression.right, depth + 1);
    this.current = E.BinaryExpression;
    return right === undefined ? undefined : left + right;
  }

  /** `a.b`, or `a['b']` with a constant string: the property name (`../ast.ts`'s `memberName`). */
  memberName(slot: number): string | undefined {
    const pos = this.unwrap(slot);
    return this.memberNameAt(pos, this.current);
  }

  /** The property name of a member node at `pos` whose `Expression` tag is `tag`. */
  memberNameAt(pos: number, tag: number): string | undefined {
    if (tag === E.StaticMemberExpression)
      return this.str(pos + FIELDS.StaticMemberExpression.property + FIELDS.IdentifierName.name);
    if (tag === E.ComputedMemberExpression)
      return this.stringValue(pos + FIELDS.ComputedMemberExpression.property);
    return undefined;
  }

  /** `a.b.c` as a dotted path of static names (`../ast.ts`'s `dottedPath`). */
  dottedPath(slot: number, depth = 0): string | undefined {
    const pos = this.unwrap(slot);
    const tag = this.current;
    if (depth > 8) return undefined;
    if (tag === E.IdentifierReference) return this.str(pos + FIELDS.IdentifierReference.name);
    if (tag === E.ThisExpression) return 'this';
    if (tag === E.ImportMeta) return 'import.meta';
    if (tag === E.NewTarget) return 'new.target';
    const name = this.memberNameAt(pos, tag);
    if (name === undefined) return undefined;
    // Both member types keep their object at the same offset.
    const base = this.dottedPath(pos + FIELDS.StaticMemberExpression.object, depth + 1);
    return base === undefined ? undefined : `${base}.${name}`;
  }

  /** The name a `BindingPattern` slot binds when it is a plain identifier. */
  bindingName(slot: number): string | undefined {
    if (this.buffer[slot] !== TAGS.BindingPattern.BindingIdentifier) return undefined;
    return this.str(this.int32[(slot + 8) >> 2]! + FIELDS.BindingIdentifier.name);
  }

  /**
   * The name an `AssignmentTarget` (or `SimpleAssignmentTarget`) slot assigns when it is an
   * identifier, through TypeScript's wrappers (`(x as any) = ...`), as `identifierName` does.
   */
  assignmentTargetName(slot: number): string | undefined {
    const tag = this.buffer[slot]!;
    if (tag === A.IdentifierReference)
      return this.str(this.int32[(slot + 8) >> 2]! + FIELDS.IdentifierReference.name);
    const inner = this.assignmentTargetInner(slot, tag);
    return inner === -1 ? undefined : this.identifierName(inner);
  }

  /** `dottedPath` of an `AssignmentTarget` slot (`window.fetch = ...`). */
  assignmentTargetPath(slot: number): string | undefined {
    const tag = this.buffer[slot]!;
    if (tag === A.IdentifierReference)
      return this.str(this.int32[(slot + 8) >> 2]! + FIELDS.IdentifierReference.name);
    if (
      tag === A.StaticMemberExpression ||
      tag === A.ComputedMemberExpression ||
      tag === A.PrivateFieldExpression
    )
      return this.dottedPath(slot); // members are numbered as in `Expression`
    const inner = this.assignmentTargetInner(slot, tag);
    return inner === -1 ? undefined : this.dottedPath(inner);
  }

  /** The expression slot inside an assignment target's TypeScript wrapper, or -1. */
  private assignmentTargetInner(slot: number, tag: number): number {
    const node = this.int32[(slot + 8) >> 2]!;
    if (tag === A.TSAsExpression) return node + FIELDS.TSAsExpression.expression;
    if (tag === A.TSSatisfiesExpression) return node + FIELDS.TSSatisfiesExpression.expression;
    if (tag === A.TSNonNullExpression) return node + FIELDS.TSNonNullExpression.expression;
    if (tag === A.TSTypeAssertion) return node + FIELDS.TSTypeAssertion.expression;
    return -1;
  }

  /**
   * A property key's name (`PropertyKey` slot): an identifier's name unless computed, else (or
   * for a literal key) its string value: `{ a: 1 }`, `{ 'a': 1 }`, `{ ['a']: 1 }`.
   */
  propertyKeyName(slot: number, computed: boolean): string | undefined {
    if (!computed && this.buffer[slot] === TAGS.PropertyKey.IdentifierName)
      return this.str(this.int32[(slot + 8) >> 2]! + FIELDS.IdentifierName.name);
    if (!computed) {
      const name = this.identifierName(slot);
      if (name !== undefined) return name;
    }
    return this.stringValue(slot);
  }

  /** Whether an `Option<Box<...>>` or `Option<Vec<...>>` field is empty (a null pointer). */
  isNone(field: number): boolean {
    return this.int32[field >> 2] === 0 && this.int32[(field >> 2) + 1] === 0;
  }

  /** How many elements an array literal has, holes (`[a, , b]`) left out as the ESTree's `children` does. */
  arrayLength(array: number): number {
    const elements = array + FIELDS.ArrayExpression.elements;
    const count = this.vecLength(elements);
    const first = this.vecStart(elements);
    let length = 0;
    for (let i = 0; i < count; i++)
      if (this.buffer[first + i * VEC_STRIDES.ArrayExpressionElement] !== TAGS.ArrayExpressionElement.Elision)
        length++;
    return length;
  }

  /** The slot of a call's (or `new`'s) argument `index`, or -1. */
  argument(call: number, index: number): number {
    const field = call + FIELDS.CallExpression.arguments;
    return index < this.vecLength(field) ? this.vecStart(field) + index * VEC_STRIDES.Argument : -1;
  }
}
