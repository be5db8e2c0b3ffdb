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
import type { BufferTree } from '../oxc-raw.js';
import { FIELDS, TAGS, VEC_STRIDES } from './layout.generated.js';

const E = TAGS.Expression;
const CHAIN = TAGS.ChainElement;
/** `Option<Expression>` holds this tag when empty. */
export const NO_EXPRESSION = 255;
const utf8Slice = Buffer.prototype.utf8Slice as (this: Uint8Array, start: number, end: number) => string;

export class PositionReader {
  buffer: Uint8Array = new Uint8Array(0);
  int32: Int32Array = new Int32Array(0);
  source = '';
  private sourceStart = 0;
  private sourceIsAscii = true;
  /** The `Expression` tag of the node that `expression` or `unwrap` answered last. */
  tag = -1;

  /** Points the reader at a new tree (the same buffer, a new file). */
  reset(tree: BufferTree, source: string): void {
    this.buffer = tree.buffer;
    this.int32 = tree.buffer.int32;
    this.source = source;
    this.sourceStart = tree.sourceStart;
    this.sourceIsAscii = tree.sourceIsAscii;
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
    if (this.sourceIsAscii && at >= this.sourceStart)
      return this.source.substr(at - this.sourceStart, length);
    return utf8Slice.call(this.buffer, at, at + length);
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

  /** Where the elements of a `Vec` field start. */
  vecStart(field: number): number {
    return this.int32[field >> 2]!;
  }

  vecLength(field: number): number {
    return this.int32[(field >> 2) + 2]!;
  }

  /** The node in an `Expression`-numbered slot; its tag goes to `this.tag` (`NO_EXPRESSION` when empty). */
  expression(slot: number): number {
    this.tag = this.buffer[slot]!;
    return this.int32[(slot + 8) >> 2]!;
  }

  /**
   * The node an expression slot holds once parentheses, TypeScript's `as`/`!`/`satisfies`/`<T>`,
   * `await` and optional chains around it are stripped (`../ast.ts`'s `unwrap`).
   */
  unwrap(slot: number): number {
    let pos = this.expression(slot);
    for (;;) {
      switch (this.tag) {
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
    if (this.tag === CHAIN.CallExpression) this.tag = E.CallExpression;
    else if (this.tag === CHAIN.TSNonNullExpression) this.tag = E.TSNonNullExpression;
    return pos;
  }

  /** The name of the identifier a slot holds, unwrapped. */
  identifierName(slot: number): string | undefined {
    const pos = this.unwrap(slot);
    return this.tag === E.IdentifierReference ? this.str(pos + FIELDS.IdentifierReference.name) : undefined;
  }

  /** A string literal's value, or a template literal's without substitutions, unwrapped. */
  stringValue(slot: number): string | undefined {
    const pos = this.unwrap(slot);
    if (this.tag === E.StringLiteral) return this.jsStr(pos + FIELDS.StringLiteral.value);
    if (this.tag !== E.TemplateLiteral) return undefined;
    if (this.vecLength(pos + FIELDS.TemplateLiteral.expressions) !== 0) return undefined;
    if (this.vecLength(pos + FIELDS.TemplateLiteral.quasis) === 0) return undefined;
    const value = this.vecStart(pos + FIELDS.TemplateLiteral.quasis) + FIELDS.TemplateElement.value;
    const cooked = value + FIELDS.TemplateElementValue.cooked;
    // An invalid escape (`\u{`) in a tagged template leaves no cooked value: ESTree's `null`.
    if (this.int32[cooked >> 2] === 0 && this.int32[(cooked >> 2) + 1] === 0)
      return this.str(value + FIELDS.TemplateElementValue.raw);
    return this.jsStr(cooked);
  }

  /** `a.b`, or `a['b']` with a constant string: the property name (`../ast.ts`'s `memberName`). */
  memberName(slot: number): string | undefined {
    const pos = this.unwrap(slot);
    return this.memberNameAt(pos, this.tag);
  }

  private memberNameAt(pos: number, tag: number): string | undefined {
    if (tag === E.StaticMemberExpression)
      return this.str(pos + FIELDS.StaticMemberExpression.property + FIELDS.IdentifierName.name);
    if (tag === E.ComputedMemberExpression)
      return this.stringValue(pos + FIELDS.ComputedMemberExpression.property);
    return undefined;
  }

  /** `a.b.c` as a dotted path of static names (`../ast.ts`'s `dottedPath`). */
  dottedPath(slot: number, depth = 0): string | undefined {
    const pos = this.unwrap(slot);
    const tag = this.tag;
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

  /** The slot of a call's (or `new`'s) argument `index`, or -1. */
  argument(call: number, index: number): number {
    const field = call + FIELDS.CallExpression.arguments;
    return index < this.vecLength(field) ? this.vecStart(field) + index * VEC_STRIDES.Argument : -1;
  }
}
