import { CountersignError } from '../../core/errors.js';

/**
 * Regular expressions from intel (signature-base file-name IOCs such as `\\Library\\Graphics\\Quartz$`)
 * run against names we did not choose, so a backtracking engine could be made to hang on them.
 * This compiles the common subset — literals, escapes, `.`, classes, `^`, `$`, groups, `|`, and the
 * quantifiers `? * + {m} {m,} {m,n}` — into a Thompson NFA and simulates it: time is linear in the
 * input for a given pattern. Matching is case-insensitive and unanchored unless `^`/`$` say so.
 * Back-references and look-around are refused (they cannot run in linear time).
 */

export interface LinearPattern {
  readonly source: string;
  test(input: string): boolean;
}

export type CompileResult =
  | { readonly ok: true; readonly pattern: LinearPattern }
  | { readonly ok: false; readonly reason: string };

const MAX_SOURCE_LENGTH = 2048;
const MAX_STATES = 20_000;
const MAX_REPEAT = 1000;

type CharTest = (ch: string) => boolean;
type Node =
  | { readonly kind: 'char'; readonly test: CharTest; readonly literal?: string }
  | { readonly kind: 'bol' | 'eol' }
  | { readonly kind: 'concat' | 'alt'; readonly items: readonly Node[] }
  | { readonly kind: 'repeat'; readonly item: Node; readonly min: number; readonly max: number };

class PatternError extends Error {}

export function compileLinearPattern(source: string): CompileResult {
  if (source.length > MAX_SOURCE_LENGTH)
    return { ok: false, reason: `pattern longer than ${MAX_SOURCE_LENGTH} characters` };
  try {
    const parser = new Parser(source);
    const ast = parser.parseAlt();
    if (!parser.atEnd()) throw new PatternError(`unbalanced ")" at offset ${parser.offset}`);
    const nfa = new Nfa();
    const start = nfa.compile(ast, nfa.add({ kind: 'match' }));
    const required = requiredLiteral(ast);
    // Most inputs lack the pattern's literal part: a substring check rules them out cheaply.
    const test =
      required.length < 2
        ? (input: string) => nfa.run(start, input)
        : (input: string) => input.toLowerCase().includes(required) && nfa.run(start, input);
    return { ok: true, pattern: { source, test } };
  } catch (error) {
    if (error instanceof PatternError)
      return { ok: false, reason: `unsupported or invalid pattern: ${error.message}` };
    throw error;
  }
}

/** Like `compileLinearPattern` but throws `E_INTEL_MALFORMED`; for patterns validated at import. */
export function mustCompileLinearPattern(source: string): LinearPattern {
  const result = compileLinearPattern(source);
  if (!result.ok) {
    throw new CountersignError('E_INTEL_MALFORMED', `pattern ${JSON.stringify(source)}: ${result.reason}`);
  }
  return result.pattern;
}

const lower = (ch: string): string => ch.toLowerCase();

/**
 * The longest run of literal characters every match must contain: consecutive literal nodes of
 * the top-level sequence (a top-level `|`, or anything else, breaks the run).
 */
function requiredLiteral(node: Node): string {
  if (node.kind !== 'concat') return node.kind === 'char' && node.literal !== undefined ? node.literal : '';
  let best = '';
  let run = '';
  for (const item of node.items) {
    if (item.kind === 'char' && item.literal !== undefined) {
      run += item.literal;
      if (run.length > best.length) best = run;
    } else if (item.kind === 'bol' || item.kind === 'eol') {
      // Anchors take no characters: the run continues across them.
    } else {
      run = '';
    }
  }
  return best;
}
const literal = (ch: string): CharTest => {
  const l = lower(ch);
  return (c) => c === l;
};
const DIGIT: CharTest = (c) => c >= '0' && c <= '9';
const WORD: CharTest = (c) => /^\w$/.test(c);
const SPACE: CharTest = (c) => /^\s$/.test(c);
const not =
  (test: CharTest): CharTest =>
  (c) =>
    !test(c);

class Parser {
  offset = 0;
  constructor(private readonly source: string) {}

  atEnd(): boolean {
    return this.offset >= this.source.length;
  }

  private peek(): string | undefined {
    return this.source[this.offset];
  }

  private next(): string {
    const ch = this.source[this.offset];
    if (ch === undefined) throw new PatternError('unexpected end of pattern');
    this.offset += 1;
    return ch;
  }

  parseAlt(): Node {
    const items = [this.parseConcat()];
    while (this.peek() === '|') {
      this.offset += 1;
      items.push(this.parseConcat());
    }
    return items.length === 1 ? items[0]! : { kind: 'alt', items };
  }

  private parseConcat(): Node {
    const items: Node[] = [];
    for (let ch = this.peek(); ch !== undefined && ch !== '|' && ch !== ')'; ch = this.peek()) {
      items.push(this.parseRepeat());
    }
    return { kind: 'concat', items };
  }

  private parseRepeat(): Node {
    const at = this.offset;
    const item = this.parseAtom();
    const ch = this.peek();
    let min: number;
    let max: number;
    if (ch === '*' || ch === '+' || ch === '?') {
      this.offset += 1;
      [min, max] = ch === '*' ? [0, Infinity] : ch === '+' ? [1, Infinity] : [0, 1];
    } else if (ch === '{' && /^\{\d+(,\d*)?\}/.test(this.source.slice(this.offset))) {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.offset))!;
      this.offset += match[0].length;
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
      if (min > MAX_REPEAT || (max !== Infinity && (max > MAX_REPEAT || max < min))) {
        throw new PatternError(`repeat count out of range at offset ${at}`);
      }
    } else {
      return item;
    }
    if (item.kind === 'bol' || item.kind === 'eol')
      throw new PatternError(`quantified anchor at offset ${at}`);
    if (this.peek() === '?') this.offset += 1; // lazy and greedy mean the same for a yes/no answer
    if (this.peek() === '*' || this.peek() === '+' || this.peek() === '?') {
      throw new PatternError(`nested quantifier at offset ${this.offset}`);
    }
    return { kind: 'repeat', item, min, max };
  }

  private parseAtom(): Node {
    const at = this.offset;
    const ch = this.next();
    switch (ch) {
      case '(': {
        if (this.peek() === '?') {
          if (this.source.slice(this.offset, this.offset + 2) !== '?:') {
            throw new PatternError(`look-around or named group at offset ${at}`);
          }
          this.offset += 2;
        }
        const inner = this.parseAlt();
        if (this.next() !== ')') throw new PatternError(`missing ")" for the group at offset ${at}`);
        return inner;
      }
      case '[':
        return { kind: 'char', test: this.parseClass(at) };
      case '.':
        return { kind: 'char', test: (c) => c !== '\n' };
      case '^':
        return { kind: 'bol' };
      case '$':
        return { kind: 'eol' };
      case '\\':
        return this.escapeNode(at);
      case '*':
      case '+':
      case '?':
      case ')':
        throw new PatternError(`"${ch}" with nothing to repeat at offset ${at}`);
      default:
        return { kind: 'char', test: literal(ch), literal: ch.toLowerCase() };
    }
  }

  /** An escape as a node, keeping escaped literals (`\\.`) usable for the literal prefilter. */
  private escapeNode(at: number): Node {
    const escaped = this.source[this.offset];
    const test = this.parseEscape(at);
    const isLiteral = escaped !== undefined && !/[A-Za-z0-9]/.test(escaped);
    return isLiteral ? { kind: 'char', test, literal: escaped.toLowerCase() } : { kind: 'char', test };
  }

  private parseEscape(at: number): CharTest {
    const ch = this.next();
    switch (ch) {
      case 'd':
        return DIGIT;
      case 'D':
        return not(DIGIT);
      case 'w':
        return WORD;
      case 'W':
        return not(WORD);
      case 's':
        return SPACE;
      case 'S':
        return not(SPACE);
      case 't':
        return literal('\t');
      case 'n':
        return literal('\n');
      case 'r':
        return literal('\r');
      default:
        if (/[A-Za-z0-9]/.test(ch)) throw new PatternError(`unsupported escape "\\${ch}" at offset ${at}`);
        return literal(ch);
    }
  }

  private parseClass(at: number): CharTest {
    const negated = this.peek() === '^';
    if (negated) this.offset += 1;
    const tests: CharTest[] = [];
    let first = true;
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw new PatternError(`missing "]" for the class at offset ${at}`);
      if (ch === ']' && !first) {
        this.offset += 1;
        break;
      }
      first = false;
      const start = this.classChar(at);
      if (typeof start !== 'string') {
        tests.push(start);
        continue;
      }
      if (
        this.peek() === '-' &&
        this.source[this.offset + 1] !== ']' &&
        this.source[this.offset + 1] !== undefined
      ) {
        this.offset += 1;
        const end = this.classChar(at);
        if (typeof end !== 'string' || end < start)
          throw new PatternError(`bad range in the class at offset ${at}`);
        const [lo, hi] = [start, end];
        // Case-insensitive: a character is in [A-Z] if either of its cases is.
        tests.push((c) => [c, c.toUpperCase(), c.toLowerCase()].some((x) => x >= lo && x <= hi));
      } else {
        tests.push(literal(start));
      }
    }
    const inClass: CharTest = (c) => tests.some((test) => test(c));
    return negated ? not(inClass) : inClass;
  }

  /** A single class member: a character, or a shorthand class for `\d \w \s`. */
  private classChar(at: number): string | CharTest {
    const ch = this.next();
    if (ch !== '\\') return ch;
    const escaped = this.next();
    if ('dDwWsS'.includes(escaped)) {
      this.offset -= 1;
      return this.parseEscape(at);
    }
    if (escaped === 't') return '\t';
    if (escaped === 'n') return '\n';
    if (/[A-Za-z0-9]/.test(escaped))
      throw new PatternError(`unsupported escape "\\${escaped}" in a class at offset ${at}`);
    return escaped;
  }
}

type State =
  | { kind: 'char'; test: CharTest; out: number }
  | { kind: 'split'; out: number; out1: number }
  | { kind: 'bol' | 'eol'; out: number }
  | { kind: 'match' };

class Nfa {
  private readonly states: State[] = [];

  add(state: State): number {
    if (this.states.length >= MAX_STATES)
      throw new PatternError(`pattern expands to more than ${MAX_STATES} states`);
    this.states.push(state);
    return this.states.length - 1;
  }

  /** Builds the states for `node` that continue to `next`; returns the entry state. */
  compile(node: Node, next: number): number {
    switch (node.kind) {
      case 'char':
        return this.add({ kind: 'char', test: node.test, out: next });
      case 'bol':
      case 'eol':
        return this.add({ kind: node.kind, out: next });
      case 'concat':
        return node.items.reduceRight((follow, item) => this.compile(item, follow), next);
      case 'alt':
        return node.items
          .map((item) => this.compile(item, next))
          .reduceRight((rest, entry) => this.add({ kind: 'split', out: entry, out1: rest }));
      case 'repeat': {
        let entry = next;
        if (node.max === Infinity) {
          const loop = this.add({ kind: 'split', out: -1, out1: next });
          (this.states[loop] as { out: number }).out = this.compile(node.item, loop);
          entry = loop;
        } else {
          for (let i = node.min; i < node.max; i += 1) {
            entry = this.add({ kind: 'split', out: this.compile(node.item, entry), out1: next });
          }
        }
        for (let i = 0; i < node.min; i += 1) entry = this.compile(node.item, entry);
        return entry;
      }
    }
  }

  run(start: number, input: string): boolean {
    const chars = Array.from(input.toLowerCase());
    const seen = new Int32Array(this.states.length).fill(-1);
    let generation = 0;
    let current: number[] = [];
    const addState = (list: number[], index: number, pos: number): void => {
      const stack = [index];
      while (stack.length > 0) {
        const s = stack.pop()!;
        if (seen[s] === generation) continue;
        seen[s] = generation;
        const state = this.states[s]!;
        if (state.kind === 'split') stack.push(state.out1, state.out);
        else if (state.kind === 'bol') {
          if (pos === 0) stack.push(state.out);
        } else if (state.kind === 'eol') {
          if (pos === chars.length) stack.push(state.out);
        } else list.push(s);
      }
    };
    addState(current, start, 0);
    for (let pos = 0; ; pos += 1) {
      if (current.some((s) => this.states[s]!.kind === 'match')) return true;
      if (pos === chars.length) return false;
      const ch = chars[pos]!;
      generation += 1;
      const following: number[] = [];
      for (const s of current) {
        const state = this.states[s]!;
        if (state.kind === 'char' && state.test(ch)) addState(following, state.out, pos + 1);
      }
      addState(following, start, pos + 1); // unanchored: a match may begin anywhere
      current = following;
    }
  }
}
