import type { AstNode } from './ast.js';
import type { JsCapability, JsCapabilityFact } from './facts.js';
import type { LineIndex } from './line-index.js';
import { makeSnippet } from './snippet.js';

/** A module reached through a binding: `cp` for `require('child_process')`, `run` for its `exec`. */
export interface ModuleRef {
  readonly module: string;
  readonly member?: string;
}

/** Counter values when a marked node was entered: exit handlers compare them with the current ones. */
export interface Marks {
  taint: number;
  network: number;
  charCode: number;
  code: number;
}

/** What the walk has learnt about one name in one function scope. */
export interface SymbolInfo {
  module?: ModuleRef;
  /** The string a name was bound to (`const t = 'base64'`). */
  constant?: string;
  /** Bound to `new Function(...)`: calling it runs code. */
  isCodeFunction?: boolean;
  /** Bound to a network client or request (`http.request(...)`, `new Firebase(url)`). */
  isNetworkClient?: boolean;
  /** A function whose body decodes character codes. */
  isDecoder?: boolean;
  /** Holds data that came out of a decoder. */
  isTainted?: boolean;
  /** Where a string-array declaration is (`var a = ['..', '..']`), for the obfuscator's rotated-array function. */
  stringArray?: Span;
  /** Bound to the `process` object (`const p = process`). */
  isProcess?: boolean;
  /** Bound to `process.env` (`const env = process.env`, `const { env } = process`). */
  isProcessEnv?: boolean;
  /** The global function it stands for (`const e = eval`, `const f = window.fetch`): see `ALIASED_GLOBALS`. */
  global?: string;
}

/**
 * A symbol with every field present from the start: one object shape for all symbols. Fields
 * added one by one as the walk learns them gave each symbol its own chain of shapes, and the
 * optimised handlers that read them were thrown away at each new one (`--trace-deopt`: "wrong
 * map" in `bind`, `onIdentifier`, `onCall`...; a tenth of the analysis threads' compilations).
 */
export function newSymbolInfo(): SymbolInfo {
  return {
    module: undefined,
    constant: undefined,
    isCodeFunction: false,
    isNetworkClient: false,
    isDecoder: false,
    isTainted: false,
    stringArray: undefined,
    isProcess: false,
    isProcessEnv: false,
    global: undefined,
  };
}

/** Where a fact is: offsets into the source. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface ScopeRecord {
  readonly id: number;
  /** The function's node (ESTree walk) or position (position walk). */
  readonly node: unknown;
  /** The name the function is bound to, when it has one. */
  readonly name: string | undefined;
}

export interface ExtractLimits {
  /** The most facts kept per file; later ones are counted as dropped. */
  readonly maxFacts: number;
  /** The most facts of one capability per file. */
  readonly maxFactsPerCapability: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = Object.freeze({
  maxFacts: 1000,
  maxFactsPerCapability: 100,
});

/**
 * The state of one walk over one file: scopes, symbols, counters that let a handler ask "did a
 * decoder run inside this expression?", and the facts found so far.
 */
export class WalkContext {
  readonly facts: JsCapabilityFact[] = [];
  factsDropped = 0;
  readonly ancestors: AstNode[] = [];
  /** Bumped whenever a decoder call or a tainted name is seen. */
  taintEvents = 0;
  /** Bumped whenever a network fact is emitted. */
  networkEvents = 0;
  /** Bumped whenever a code-execution or process sink is seen. */
  codeEvents = 0;
  /** Bumped whenever `String.fromCharCode` is referenced. */
  charCodeEvents = 0;
  /**
   * The counters when the node now being left was entered: set for marked node types only, whose
   * exit handlers read it before the walk enters anything else (the object is reused then).
   */
  mark: Readonly<Marks> | undefined;
  /** Counters of the marked nodes entered and not yet left; slots are reused, so the walk allocates none. */
  private readonly openMarks: Marks[] = [];
  private openMarkCount = 0;
  identifiers = 0;
  mangledIdentifiers = 0;
  stringLiterals = 0;
  highEntropyStrings = 0;
  /** Every name some scope has marked `isTainted`: most identifiers need no scope lookup. */
  /** Added to only through `addTaintedName`, which keeps `taintedNameBytes` in step. */
  readonly taintedNames: ReadonlySet<string> = new Set<string>();
  /**
   * The UTF-8 byte lengths of `taintedNames` (255: that long or longer), for the position walk:
   * it reads an identifier's name from the buffer only when a tainted name has its length.
   */
  readonly taintedNameBytes = new Uint8Array(256);
  /**
   * Where the last chain of constant strings joined with `+` that the strings family read whole
   * ends: the chains inside it are not read again.
   */
  joinedUntil = -1;
  /** Offsets of long literals and template strings, so whitespace inside them is not read as hidden code. */
  readonly longLiteralSpans: Array<readonly [number, number]> = [];
  /**
   * Per-call memo for the callee's dotted path and module: a dozen handlers ask about the same call
   * one after another. Keyed by node identity (or position); children visited in between simply
   * overwrite it.
   */
  memoNode: unknown;
  memoPath: string | undefined;
  memoModule: ModuleRef | undefined;
  memoHasModule = false;
  /**
   * How many names were bound to `process` or `process.env`: while none is, a name is never looked
   * up to learn whether it stands for them.
   */
  processAliases = 0;
  /** How many names were bound to a global function (`const e = eval`): while none is, no call looks one up. */
  globalAliases = 0;
  /**
   * Parameters a function gets bound to a module, by the function (its node, or its position in
   * the buffer: what the walk passes to `pushScope`): `import('child_process').then((cp) => ...)`.
   * Declared in the function's own scope as it opens.
   */
  readonly moduleParameters = new Map<unknown, ReadonlyArray<{ name: string; module: ModuleRef }>>();
  /**
   * Modules kept on `this` (`this.cp = require('child_process')`, a class field `cp = require(...)`),
   * by property name, for the whole file: methods read them through their own `this`.
   */
  readonly thisModules = new Map<string, ModuleRef>();
  /** Bumped whenever a new symbol is declared: a lookup remembered before then may be stale. */
  symbolsVersion = 0;
  private readonly scopes: ScopeRecord[] = [];
  /** By scope id: whether the scope is on the stack (ids are never reused within a walk). */
  private readonly openScopes: boolean[] = [];
  private nextScopeId = 0;
  private readonly symbols = new Map<string, Array<{ scope: number; info: SymbolInfo }>>();
  private readonly perCapability = new Map<JsCapability, number>();
  private readonly seen = new Set<string>();

  constructor(
    readonly source: string,
    readonly lines: LineIndex,
    readonly limits: ExtractLimits,
    readonly fallback = false,
  ) {
    this.pushScope(undefined, undefined);
  }

  /** How many scopes are open (a lookup remembered at another depth may find another symbol). */
  get scopeDepth(): number {
    return this.scopes.length;
  }

  get scope(): ScopeRecord {
    return this.scopes[this.scopes.length - 1]!;
  }

  pushScope(node: unknown, name: string | undefined): void {
    const id = this.nextScopeId++;
    this.scopes.push({ id, node, name });
    this.openScopes[id] = true;
    if (this.moduleParameters.size === 0) return;
    for (const parameter of this.moduleParameters.get(node) ?? []) {
      this.declare(parameter.name).module = parameter.module;
      // `import('process').then((p) => p.env)`: as `processRoleOf` reads such a binding.
      if (parameter.module.module === 'process') this.processAliases++;
    }
  }

  popScope(): ScopeRecord {
    if (this.scopes.length <= 1) return this.scope;
    const scope = this.scopes.pop()!;
    this.openScopes[scope.id] = false;
    return scope;
  }

  /** The walk enters a marked node: its exit handlers will compare the counters with these. */
  enterMarked(): void {
    let mark = this.openMarks[this.openMarkCount];
    if (mark === undefined) {
      mark = { taint: 0, network: 0, charCode: 0, code: 0 };
      this.openMarks.push(mark);
    }
    mark.taint = this.taintEvents;
    mark.network = this.networkEvents;
    mark.charCode = this.charCodeEvents;
    mark.code = this.codeEvents;
    this.openMarkCount++;
  }

  /** The walk leaves a marked node, before its exit handlers run. */
  leaveMarked(): void {
    this.mark = this.openMarks[--this.openMarkCount];
  }

  /** Whether decoded data or a tainted name appeared inside the node being left. */
  taintedSinceMark(): boolean {
    return this.mark !== undefined && this.taintEvents > this.mark.taint;
  }

  parent(level = 1): AstNode | undefined {
    return this.ancestors[this.ancestors.length - level];
  }

  /**
   * The symbol `name` resolves to from the current scope: the latest entry whose scope is still
   * open. Symbols are only ever declared in the current scope, so of two entries in open scopes the
   * later one was declared in a scope nested in (or equal to) the other's: the latest is the
   * innermost. One pass over the name's entries, instead of one per open scope (bundles nest
   * dozens deep; the scope-by-scope search was the walk's costliest helper).
   */
  lookup(name: string): SymbolInfo | undefined {
    const entries = this.symbols.get(name);
    if (!entries) return undefined;
    for (let e = entries.length - 1; e >= 0; e--) {
      const entry = entries[e]!;
      if (this.openScopes[entry.scope] === true) return entry.info;
    }
    return undefined;
  }

  /** The symbol for `name` in the current scope, created on first use. */
  declare(name: string): SymbolInfo {
    const id = this.scope.id;
    let entries = this.symbols.get(name);
    if (!entries) {
      entries = [];
      this.symbols.set(name, entries);
    }
    for (const entry of entries) if (entry.scope === id) return entry.info;
    const info = newSymbolInfo();
    entries.push({ scope: id, info });
    this.symbolsVersion++;
    return info;
  }

  /** The symbol an assignment to `name` updates: the nearest existing one, else a new one here. */
  assign(name: string): SymbolInfo {
    return this.lookup(name) ?? this.declare(name);
  }

  /** Records that some scope's `name` holds decoded data (see `taintedNames`). */
  addTaintedName(name: string): void {
    (this.taintedNames as Set<string>).add(name);
    this.taintedNameBytes[Math.min(Buffer.byteLength(name), 255)] = 1;
  }

  /** Like `emit`, but at most once per line: for signatures that repeat densely (JSFuck, `_0x` names). */
  emitOncePerLine(capability: JsCapability, node: Span, detail?: string): void {
    const key = `${capability}\0line\0${this.lines.position(node.start).line}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.emit(capability, node, detail);
  }

  emit(capability: JsCapability, node: Span, detail?: string): void {
    const key = `${capability}\0${node.start}\0${detail ?? ''}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const count = this.perCapability.get(capability) ?? 0;
    if (this.facts.length >= this.limits.maxFacts || count >= this.limits.maxFactsPerCapability) {
      this.factsDropped++;
      return;
    }
    this.perCapability.set(capability, count + 1);
    if (capability.startsWith('network.')) this.networkEvents++;
    const { line, column } = this.lines.position(node.start);
    this.facts.push({
      capability,
      line,
      column,
      offset: node.start,
      length: node.end - node.start,
      snippet: makeSnippet(this.source, node.start, node.end),
      ...(detail === undefined ? {} : { detail }),
      scope: this.scope.id,
      ...(this.fallback ? { fallback: true } : {}),
    });
  }
}
