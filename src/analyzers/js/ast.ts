/**
 * A loose view of oxc-parser's ESTree output: enough structure to dispatch on `type` and read
 * fields defensively. Using the full generated types would force a cast at every step of a walk
 * that must tolerate partial trees from error recovery.
 */
export interface AstNode {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly [key: string]: unknown;
}

export function isNode(value: unknown): value is AstNode {
  return (
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
  );
}

/**
 * A child node, read by name: `asNode(node.callee)`. Not `node[key]` behind a helper taking the
 * key: V8 reads a named property faster than a keyed one when, as in the helpers below and the
 * families' handlers that run at every call, member and assignment, the node comes in every shape
 * of the tree (callgrind: keyed megamorphic loads were 2.8% of the analysis' instructions).
 */
export function asNode(value: unknown): AstNode | undefined {
  return isNode(value) ? value : undefined;
}

export function children(node: AstNode, key: string): AstNode[] {
  const value = node[key];
  if (!Array.isArray(value)) return [];
  return value.filter(isNode);
}

/** Strips parentheses, TypeScript `as`/`!` wrappers and optional chains around an expression. */
export function unwrap(node: AstNode | undefined): AstNode | undefined {
  let current = node;
  while (current) {
    switch (current.type) {
      case 'ParenthesizedExpression':
      case 'ChainExpression':
      case 'TSAsExpression':
      case 'TSNonNullExpression':
      case 'TSSatisfiesExpression':
      case 'TSTypeAssertion':
      case 'AwaitExpression':
        current = asNode(current.type === 'AwaitExpression' ? current.argument : current.expression);
        break;
      default:
        return current;
    }
  }
  return current;
}

export function identifierName(node: AstNode | undefined): string | undefined {
  const inner = unwrap(node);
  return inner?.type === 'Identifier' ? (inner.name as string) : undefined;
}

/**
 * How deep a chain of `+` is joined into one constant string: deep enough for a name cut into
 * pieces (`'ev' + 'al'`, `'child_' + 'pro' + 'cess'`), shallow enough that no file's long chains
 * of text cost more than a few reads.
 */
export const MAX_CONCATENATION_DEPTH = 32;

/**
 * The string value of a string literal, of a template literal without substitutions, or of such
 * strings joined with `+`.
 */
export function stringValue(node: AstNode | undefined, depth = 0): string | undefined {
  const inner = unwrap(node);
  if (!inner) return undefined;
  if (inner.type === 'Literal' && typeof inner.value === 'string') return inner.value;
  if (inner.type === 'BinaryExpression') return concatenation(inner, depth);
  if (inner.type === 'CallExpression') return joinedArray(inner, depth);
  if (inner.type === 'TemplateLiteral' && children(inner, 'expressions').length === 0) {
    const quasi = children(inner, 'quasis')[0];
    const value = quasi?.value as { cooked?: string | null; raw?: string } | undefined;
    return value?.cooked ?? value?.raw ?? undefined;
  }
  return undefined;
}

/** Arrays longer than this are not joined: every family may ask for a call's value. */
export const MAX_JOINED_ELEMENTS = 256;

/**
 * `['ev', 'al'].join('')`: an array of constant strings joined with a constant separator (`,` when
 * none is given), as the engine joins it.
 */
function joinedArray(call: AstNode, depth: number): string | undefined {
  if (depth >= MAX_CONCATENATION_DEPTH) return undefined;
  const fn = unwrap(asNode(call.callee));
  if (fn?.type !== 'MemberExpression' || memberName(fn) !== 'join') return undefined;
  const array = unwrap(asNode(fn.object));
  if (array?.type !== 'ArrayExpression') return undefined;
  const args = children(call, 'arguments');
  if (args.length > 1) return undefined;
  const separator = args.length === 0 ? ',' : stringValue(args[0], depth + 1);
  if (separator === undefined) return undefined;
  return stringElements(array, depth + 1)?.join(separator);
}

/**
 * `['npm', 'publish']`: the strings of an array literal whose elements are all constant strings
 * (no hole, no spread), at most `MAX_JOINED_ELEMENTS` of them; undefined otherwise.
 */
export function stringElements(array: AstNode | undefined, depth = 0): string[] | undefined {
  const inner = unwrap(array);
  if (inner?.type !== 'ArrayExpression') return undefined;
  const elements = inner.elements as Array<AstNode | null>;
  if (elements.length > MAX_JOINED_ELEMENTS) return undefined;
  const parts: string[] = [];
  for (const element of elements) {
    const part = element === null ? undefined : stringValue(element, depth);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  return parts;
}

/** `'ev' + 'al'`: the strings joined, when both sides are constant strings. */
function concatenation(node: AstNode, depth: number): string | undefined {
  if (depth >= MAX_CONCATENATION_DEPTH || node.operator !== '+') return undefined;
  const left = stringValue(asNode(node.left), depth + 1);
  const right = left === undefined ? undefined : stringValue(asNode(node.right), depth + 1);
  return right === undefined ? undefined : left + right;
}

/** `a.b` or `a['b']`: the property name when it is static. */
export function memberName(node: AstNode | undefined): string | undefined {
  const inner = unwrap(node);
  if (inner?.type !== 'MemberExpression') return undefined;
  const property = asNode(inner.property);
  if (!inner.computed) return property?.type === 'Identifier' ? (property.name as string) : undefined;
  return stringValue(property);
}

/** `a.b.c` as a dotted path of static names, or undefined when any link is dynamic. */
export function dottedPath(node: AstNode | undefined, depth = 0): string | undefined {
  const inner = unwrap(node);
  if (!inner || depth > 8) return undefined;
  if (inner.type === 'Identifier') return inner.name as string;
  if (inner.type === 'ThisExpression') return 'this';
  if (inner.type === 'MetaProperty') {
    // `import.meta` or `new.target`
    const meta = identifierName(asNode(inner.meta));
    const property = identifierName(asNode(inner.property));
    return meta === undefined || property === undefined ? undefined : `${meta}.${property}`;
  }
  if (inner.type !== 'MemberExpression') return undefined;
  const name = memberName(inner);
  if (name === undefined) return undefined;
  const base = dottedPath(asNode(inner.object), depth + 1);
  return base === undefined ? undefined : `${base}.${name}`;
}

/** The callee of a call or `new`, unwrapped. */
export function callee(node: AstNode): AstNode | undefined {
  return unwrap(asNode(node.callee));
}

/**
 * The function a call calls: its callee, or the last expression of a sequence there (`(0, eval)(c)`,
 * `(0, require)('x')`: an indirect call, the way bundlers call imported functions).
 */
export function calledFunction(node: AstNode): AstNode | undefined {
  const fn = callee(node);
  return fn?.type === 'SequenceExpression' ? unwrap(children(fn, 'expressions').at(-1)) : fn;
}

export function callArguments(node: AstNode): AstNode[] {
  const value = node.arguments;
  return Array.isArray(value) ? value.filter(isNode) : [];
}

export const FUNCTION_TYPES: ReadonlySet<string> = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
]);

/**
 * The value of an object literal's property named `key` (`{ eval: true }`, `{ 'eval': true }`), the
 * last one when the name repeats, as the object ends up holding it; undefined when there is none.
 */
export function propertyValue(object: AstNode | undefined, key: string): AstNode | undefined {
  const inner = unwrap(object);
  if (inner?.type !== 'ObjectExpression') return undefined;
  let value: AstNode | undefined;
  for (const property of children(inner, 'properties')) {
    const name = identifierName(asNode(property.key)) ?? stringValue(asNode(property.key));
    if (name === key) value = unwrap(asNode(property.value));
  }
  return value;
}

/** `true` written as such. */
export function isTrueLiteral(node: AstNode | undefined): boolean {
  const inner = unwrap(node);
  return inner?.type === 'Literal' && inner.value === true;
}
