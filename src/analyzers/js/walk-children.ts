import { visitorKeys } from 'oxc-parser';
import type { AstNode } from './ast.js';

/**
 * Pushes a node's children onto the walk's stack, last child first, so that they come off it in
 * source order. Children are nodes, arrays of nodes (with holes), or null.
 */
export type PushChildren = (node: AstNode, stack: AstNode[]) => void;

/**
 * Hand-written pushers for the node types that make up most of a tree (over this repository's
 * node_modules: identifiers 38% of nodes, then members, literals, calls, statements...). Each reads
 * its children by name, so V8 sees one object shape per property read; the generic pusher reads
 * `node[key]` for a list of keys, a keyed read that meets every shape of the tree and is several
 * times slower. Same children, same order as oxc's `visitorKeys` (`walk-children.test.ts` checks);
 * every other type goes through the generic pusher.
 *
 * Leaves (literals, template elements, `this`) have no pusher at all.
 * `Identifier` has TypeScript-only children (`typeAnnotation`, `decorators`); in plain JavaScript
 * trees neither exists, and reading a missing property by name is as cheap as reading one.
 */
const FAST: Readonly<Record<string, PushChildren>> = {
  Identifier(node, stack) {
    pushOne(stack, node.typeAnnotation);
    pushMany(stack, node.decorators);
  },
  MemberExpression(node, stack) {
    pushOne(stack, node.property);
    pushOne(stack, node.object);
  },
  CallExpression(node, stack) {
    pushMany(stack, node.arguments);
    pushOne(stack, node.typeArguments);
    pushOne(stack, node.callee);
  },
  NewExpression(node, stack) {
    pushMany(stack, node.arguments);
    pushOne(stack, node.typeArguments);
    pushOne(stack, node.callee);
  },
  ExpressionStatement(node, stack) {
    pushOne(stack, node.expression);
  },
  ParenthesizedExpression(node, stack) {
    pushOne(stack, node.expression);
  },
  BinaryExpression: pushLeftRight,
  LogicalExpression: pushLeftRight,
  AssignmentExpression: pushLeftRight,
  Property(node, stack) {
    pushOne(stack, node.value);
    pushOne(stack, node.key);
  },
  BlockStatement(node, stack) {
    pushMany(stack, node.body);
  },
  VariableDeclarator(node, stack) {
    pushOne(stack, node.init);
    pushOne(stack, node.id);
  },
  VariableDeclaration(node, stack) {
    pushMany(stack, node.declarations);
  },
  TemplateLiteral(node, stack) {
    pushMany(stack, node.expressions);
    pushMany(stack, node.quasis);
  },
  IfStatement: pushTestBranches,
  ConditionalExpression: pushTestBranches,
  ReturnStatement: pushArgument,
  UnaryExpression: pushArgument,
  UpdateExpression: pushArgument,
  ObjectExpression(node, stack) {
    pushMany(stack, node.properties);
  },
  ArrayExpression(node, stack) {
    pushMany(stack, node.elements);
  },
  SequenceExpression(node, stack) {
    pushMany(stack, node.expressions);
  },
  FunctionExpression: pushFunction,
  FunctionDeclaration: pushFunction,
  AwaitExpression: pushArgument,
  SpreadElement: pushArgument,
  ThrowStatement: pushArgument,
  ChainExpression(node, stack) {
    pushOne(stack, node.expression);
  },
  SwitchCase(node, stack) {
    pushMany(stack, node.consequent);
    pushOne(stack, node.test);
  },
  MethodDefinition(node, stack) {
    pushOne(stack, node.value);
    pushOne(stack, node.key);
    pushMany(stack, node.decorators);
  },
  // TypeScript declarations (.d.ts files are a sixth of the code that needs a tree)
  TSTypeAnnotation(node, stack) {
    pushOne(stack, node.typeAnnotation);
  },
  TSTypeReference(node, stack) {
    pushOne(stack, node.typeArguments);
    pushOne(stack, node.typeName);
  },
  TSPropertySignature(node, stack) {
    pushOne(stack, node.typeAnnotation);
    pushOne(stack, node.key);
  },
  TSTypeParameterInstantiation(node, stack) {
    pushMany(stack, node.params);
  },
  ArrowFunctionExpression(node, stack) {
    pushOne(stack, node.body);
    pushOne(stack, node.returnType);
    pushMany(stack, node.params);
    pushOne(stack, node.typeParameters);
  },
};

function pushLeftRight(node: AstNode, stack: AstNode[]): void {
  pushOne(stack, node.right);
  pushOne(stack, node.left);
}

function pushTestBranches(node: AstNode, stack: AstNode[]): void {
  pushOne(stack, node.alternate);
  pushOne(stack, node.consequent);
  pushOne(stack, node.test);
}

function pushArgument(node: AstNode, stack: AstNode[]): void {
  pushOne(stack, node.argument);
}

function pushFunction(node: AstNode, stack: AstNode[]): void {
  pushOne(stack, node.body);
  pushOne(stack, node.returnType);
  pushMany(stack, node.params);
  pushOne(stack, node.typeParameters);
  pushOne(stack, node.id);
}

function pushOne(stack: AstNode[], value: unknown): void {
  if (value !== null && typeof value === 'object') stack.push(value as AstNode);
}

function pushMany(stack: AstNode[], value: unknown): void {
  if (!Array.isArray(value)) return;
  for (let i = value.length - 1; i >= 0; i--) {
    const item: unknown = value[i];
    if (item !== null && typeof item === 'object') stack.push(item as AstNode);
  }
}

const KEYS = visitorKeys as Record<string, readonly string[] | undefined>;

/** The generic pusher of a type: its `visitorKeys`, read by key. */
function genericPusher(keys: readonly string[]): PushChildren {
  return (node, stack) => {
    for (let k = keys.length - 1; k >= 0; k--) {
      const value = node[keys[k]!];
      if (value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) pushMany(stack, value);
      else stack.push(value as AstNode);
    }
  };
}

/** The pusher for a node type; undefined for a type without children (or unknown to oxc). */
export function childPusher(type: string): PushChildren | undefined {
  const fast = FAST[type];
  if (fast) return fast;
  const keys = KEYS[type];
  return keys && keys.length > 0 ? genericPusher(keys) : undefined;
}

/** The types with a hand-written pusher (for the test that holds them to `visitorKeys`). */
export const FAST_PUSHER_TYPES: readonly string[] = Object.keys(FAST);
