import {
  type AstNode,
  asNode,
  callArguments,
  callee,
  children,
  dottedPath,
  identifierName,
  memberName,
  stringValue,
} from '../ast.js';
import type { WalkContext } from '../context.js';
import { calleeModule, processRole } from '../modules.js';
import type { Family } from '../walker.js';

/** Environment variables that hold registry, CI or cloud credentials. */
export const TOKEN_VARIABLES =
  /^(NPM_TOKEN|NODE_AUTH_TOKEN|NPM_CONFIG__AUTH(TOKEN)?|GITHUB_TOKEN|GH_TOKEN|GITHUB_PAT|ACTIONS_RUNTIME_TOKEN|ACTIONS_ID_TOKEN_REQUEST_TOKEN|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|GOOGLE_APPLICATION_CREDENTIALS|AZURE_CLIENT_SECRET|CIRCLE_TOKEN|GITLAB_TOKEN|CI_JOB_TOKEN|YARN_NPM_AUTH_TOKEN|SLACK_TOKEN|OPENAI_API_KEY|ANTHROPIC_API_KEY)$/;

export const SYSTEM_INFO = new Set(['hostname', 'userInfo', 'networkInterfaces', 'homedir']);
export const ENUMERATORS = new Set([
  'Object.keys',
  'Object.values',
  'Object.entries',
  'Object.assign',
  'Object.getOwnPropertyNames',
  'Reflect.ownKeys',
]);

/** `const { NPM_TOKEN } = process.env`: each credential variable read by destructuring. */
function onDeclarator(node: AstNode, ctx: WalkContext): void {
  const pattern = asNode(node.id);
  if (pattern?.type !== 'ObjectPattern' || processRole(asNode(node.init), ctx) !== 'env') return;
  for (const property of children(pattern, 'properties')) {
    if (property.type !== 'Property') continue;
    const key = asNode(property.key);
    const name = property.computed ? stringValue(key) : (identifierName(key) ?? stringValue(key));
    if (name !== undefined && TOKEN_VARIABLES.test(name)) ctx.emit('environment.token', property, name);
  }
}

/** Classifies one use of the whole `process.env` object by what surrounds it. */
function onProcessEnv(node: AstNode, ctx: WalkContext): void {
  const parent = ctx.parent();
  if (!parent) return;
  switch (parent.type) {
    case 'MemberExpression': {
      if (parent.object !== node) return;
      const name = memberName(parent);
      if (name !== undefined && TOKEN_VARIABLES.test(name)) ctx.emit('environment.token', parent, name);
      return;
    }
    case 'CallExpression': {
      const path = dottedPath(callee(parent));
      if (path === 'JSON.stringify') ctx.emit('environment.serialize', parent, 'JSON.stringify(process.env)');
      else if (path !== undefined && ENUMERATORS.has(path))
        ctx.emit('environment.bulk-read', parent, `${path}(process.env)`);
      else if (callArguments(parent).includes(node))
        ctx.emit('environment.bulk-read', parent, 'process.env passed whole');
      return;
    }
    case 'ForInStatement':
      if (parent.right === node) ctx.emit('environment.bulk-read', parent, 'for-in over process.env');
      return;
    case 'Property': {
      // `{ env: process.env }` hands the environment to a child process: ordinary. (In a
      // destructuring pattern the value is a target, not a use.)
      if (ctx.parent(2)?.type !== 'ObjectExpression') return;
      const key = identifierName(asNode(parent.key)) ?? stringValue(asNode(parent.key));
      if (parent.value === node && key !== 'env')
        ctx.emit('environment.bulk-read', node, `process.env as '${key ?? '?'}'`);
      return;
    }
    case 'SpreadElement': {
      const object = ctx.parent(2);
      const holder = ctx.parent(3);
      const key =
        holder?.type === 'Property'
          ? (identifierName(asNode(holder.key)) ?? stringValue(asNode(holder.key)))
          : undefined;
      const variable = holder?.type === 'VariableDeclarator' ? identifierName(asNode(holder.id)) : undefined;
      if (object?.type === 'ObjectExpression' && key !== 'env' && !/env/i.test(variable ?? '')) {
        ctx.emit('environment.bulk-read', node, 'spread of process.env');
      }
      return;
    }
    default:
      return;
  }
}

/** Bulk environment reads, serialisation, credential variables by name, and host identity. */
export const environmentFamily: Family = {
  name: 'environment',
  enter: {
    MemberExpression(node, ctx) {
      if (processRole(node, ctx) === 'env') onProcessEnv(node, ctx);
    },
    // A name bound to `process.env` (`const env = process.env`), used as it would be.
    Identifier(node, ctx) {
      if (ctx.processAliases > 0 && processRole(node, ctx) === 'env') onProcessEnv(node, ctx);
    },
    VariableDeclarator: onDeclarator,
    CallExpression(node, ctx) {
      const ref = calleeModule(node, ctx);
      if (ref?.module === 'os' && ref.member !== undefined && SYSTEM_INFO.has(ref.member)) {
        // `userInfo().uid` builds socket paths and permission checks: not identity.
        const parent = ctx.parent();
        const field =
          parent?.type === 'MemberExpression' && parent.object === node ? memberName(parent) : undefined;
        if (field === 'uid' || field === 'gid' || field === 'shell') return;
        ctx.emit('system.info', node, `os.${ref.member}`);
      }
    },
  },
};
