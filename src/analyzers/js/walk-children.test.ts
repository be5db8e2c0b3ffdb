import { visitorKeys } from 'oxc-parser';
import { describe, expect, it } from 'vitest';
import type { AstNode } from './ast.js';
import { childPusher, FAST_PUSHER_TYPES } from './walk-children.js';

const KEYS = visitorKeys as Record<string, readonly string[]>;

/** Children that are lists in oxc's ESTree (`body` only in blocks: a function's body is a node). */
const LIST_KEYS = new Set([
  'arguments',
  'params',
  'declarations',
  'expressions',
  'quasis',
  'properties',
  'elements',
  'decorators',
]);
const isList = (type: string, key: string) =>
  LIST_KEYS.has(key) ||
  (key === 'body' && (type === 'BlockStatement' || type === 'ClassBody')) ||
  (key === 'consequent' && type === 'SwitchCase');

/**
 * A node of `type` whose every child key holds distinct marker nodes (lists with a hole), plus a
 * stray node under a key that is no child.
 */
function nodeWithMarkers(type: string): AstNode {
  const node: Record<string, unknown> = { type, start: 0, end: 1, stray: marker('Stray') };
  for (const key of KEYS[type]!) {
    node[key] = isList(type, key) ? [marker(`${key}[0]`), null, marker(`${key}[2]`)] : marker(key);
  }
  return node as AstNode;
}

function marker(name: string): AstNode {
  return { type: 'Marker', start: 0, end: 0, name };
}

/** What a walk pops off the stack after the pusher ran: the children in source order. */
function childrenInWalkOrder(node: AstNode): string[] {
  const stack: AstNode[] = [];
  childPusher(node.type)?.(node, stack);
  return stack.reverse().map((each) => String(each.name ?? each.type));
}

/** The same order straight from visitorKeys. */
function expectedOrder(node: AstNode): string[] {
  const names: string[] = [];
  for (const key of KEYS[node.type]!) {
    const value = node[key];
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) if (item) names.push(String((item as AstNode).name));
  }
  return names;
}

describe('when a node pushes its children for the walk', () => {
  it('gives, for every hand-written type, the children of oxc visitorKeys in their order', () => {
    expect(FAST_PUSHER_TYPES.length).toBeGreaterThan(20);
    for (const type of FAST_PUSHER_TYPES) {
      expect(KEYS[type], `${type} is an oxc node type`).toBeDefined();
      const node = nodeWithMarkers(type);
      expect(childrenInWalkOrder(node), type).toEqual(expectedOrder(node));
      expect(childrenInWalkOrder(node), type).not.toContain('Stray');
    }
  });

  it('falls back to visitorKeys for other types, and has no pusher for leaves', () => {
    for (const type of ['ForStatement', 'TryStatement', 'ClassDeclaration', 'TSInterfaceDeclaration']) {
      const node = nodeWithMarkers(type);
      expect(childrenInWalkOrder(node), type).toEqual(expectedOrder(node));
    }
    for (const type of ['Literal', 'TemplateElement', 'ThisExpression', 'NotAType']) {
      expect(childPusher(type), type).toBeUndefined();
    }
  });

  it('skips missing and null children', () => {
    const call = { type: 'CallExpression', start: 0, end: 1, callee: marker('f'), arguments: [] } as AstNode;
    expect(childrenInWalkOrder(call)).toEqual(['f']);
    const declarator = {
      type: 'VariableDeclarator',
      start: 0,
      end: 1,
      id: marker('x'),
      init: null,
    } as AstNode;
    expect(childrenInWalkOrder(declarator)).toEqual(['x']);
  });
});
