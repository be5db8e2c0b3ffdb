import type { Span } from '../../context.js';
import {
  INJECTION_APIS,
  inspectPieces,
  inspectString,
  LONG_LITERAL,
  PATH_JOINS,
  pathPieces,
} from '../../families/strings.js';
import { WALLET_REGEX_SOURCE } from '../../string-signals.js';
import type { PositionFamily } from '../dispatch.js';
import { FIELDS } from '../layout.generated.js';
import { calleeModule, constantString, type PositionState, perFile, span } from '../modules.js';

/** The one element of each constant template literal, read whole with its literal. */
const readWhole = perFile(() => new Set<number>());

/** A template element's span as the ESTree gives it: TypeScript's includes the `` ` ``, `${` and `}` around it. */
function elementSpan(s: PositionState, element: number): Span {
  const r = s.r;
  if (!r.isTypeScript) return span(s, element);
  const tail = r.buffer[element + FIELDS.TemplateElement.tail]!;
  return { start: r.start(element) - 1, end: r.end(element) + 2 - tail };
}

function onTemplate(template: number, s: PositionState): void {
  const r = s.r;
  const quasis = template + FIELDS.TemplateLiteral.quasis;
  if (r.vecLength(template + FIELDS.TemplateLiteral.expressions) === 0 && r.vecLength(quasis) > 0) {
    // `stringValue` reads an expression slot; the template's own element is read here the same way.
    const element = r.vecStart(quasis);
    readWhole(s).add(element);
    inspectString(elementText(s, element) ?? '', span(s, template), s.ctx);
    return;
  }
  if (r.end(template) - r.start(template) >= LONG_LITERAL)
    s.ctx.longLiteralSpans.push([r.start(template), r.end(template)]);
}

/** An element's cooked text, or its raw text where an escape left none. */
function elementText(s: PositionState, element: number): string | undefined {
  const r = s.r;
  const value = element + FIELDS.TemplateElement.value;
  const cooked = value + FIELDS.TemplateElementValue.cooked;
  return r.isNone(cooked) ? r.str(value + FIELDS.TemplateElementValue.raw) : r.jsStr(cooked);
}

function onElement(element: number, s: PositionState): void {
  // Whole constant templates were read as one string above.
  if (readWhole(s).has(element)) return;
  const text = elementText(s, element);
  if (text) inspectString(text, elementSpan(s, element), s.ctx);
}

/**
 * The injection APIs' name lengths, by length: other names are not read at all. An array, not a
 * Set: this runs for every identifier, and a Set lookup there was a visible share of the walk.
 */
const INJECTION_LENGTHS: readonly boolean[] = Array.from(
  { length: 1 + Math.max(...[...INJECTION_APIS].map((name) => name.length)) },
  (_, length) => [...INJECTION_APIS].some((name) => name.length === length),
);

function onIdentifier(pos: number, s: PositionState): void {
  const field = pos + FIELDS.IdentifierReference.name;
  if (INJECTION_LENGTHS[s.r.strBytes(field)] !== true) return;
  const name = s.r.str(field);
  if (name.length > 10 && INJECTION_APIS.has(name))
    s.ctx.emit('process.dll-load', span(s, pos), `${name} (process injection API)`);
}

/**
 * `'cu' + 'rl https://x | sh'`, `['cu', 'rl https://x | sh'].join('')`: constant strings joined
 * are read whole, once, at the top of the expression (the joins inside it are not read again).
 */
function inspectJoined(pos: number, s: PositionState, text: string | undefined): void {
  const ctx = s.ctx;
  if (text === undefined) return;
  ctx.joinedUntil = s.r.end(pos);
  inspectString(text, span(s, pos), ctx);
}

function onBinary(pos: number, s: PositionState): void {
  if (s.r.start(pos) >= s.ctx.joinedUntil) inspectJoined(pos, s, s.r.joinedStrings(pos));
}

/** A call with an executable as its first argument and a library later: `inject('app.exe ...', 'x.dll')`. */
function onCall(call: number, s: PositionState): void {
  if (s.r.start(call) >= s.ctx.joinedUntil) inspectJoined(call, s, s.r.joinedArrayAt(call));
  const r = s.r;
  const count = r.vecLength(call + FIELDS.CallExpression.arguments);
  const ref = count >= 2 ? calleeModule(s, call) : undefined;
  if (ref?.module === 'path' && ref.member !== undefined && PATH_JOINS.has(ref.member)) {
    const constants: Array<string | undefined> = [];
    for (let i = 0; i < count; i++) constants.push(constantString(s, r.argument(call, i)));
    const pieces = pathPieces(constants);
    if (pieces !== undefined) inspectPieces(pieces, '/', span(s, call), s.ctx);
  }
  if (count < 2) return;
  const first = constantString(s, r.argument(call, 0));
  if (first === undefined || !/\.exe\b|\/bin\//i.test(first)) return;
  for (let i = 1; i < count; i++) {
    const later = constantString(s, r.argument(call, i));
    if (later !== undefined && /\.(dll|so)\b/i.test(later)) {
      s.ctx.emit('process.dll-load', span(s, call), 'executable started with a library argument');
      return;
    }
  }
}

/** Signals carried by string, template and regex literals, plus injection API names. */
export const stringsFamily: PositionFamily = {
  name: 'strings',
  enter: {
    StringLiteral(pos, s) {
      inspectString(s.r.jsStr(pos + FIELDS.StringLiteral.value), span(s, pos), s.ctx);
    },
    RegExpLiteral(pos, s) {
      const pattern = s.r.str(pos + FIELDS.RegExpLiteral.regex + FIELDS.RegExp.pattern);
      if (pattern && WALLET_REGEX_SOURCE.test(pattern))
        s.ctx.emit('crypto.wallet-address', span(s, pos), 'wallet address regex');
    },
    TemplateLiteral: onTemplate,
    TemplateElement: onElement,
    IdentifierReference: onIdentifier,
    BindingIdentifier: onIdentifier,
    IdentifierName: onIdentifier,
    LabelIdentifier: onIdentifier,
    CallExpression: onCall,
    BinaryExpression: onBinary,
  },
};
