/**
 * oxc's raw transfer on Node 20: the Rust parser writes its tree into a buffer that JavaScript
 * reads back with oxc's generated deserialisers, instead of serialising it to JSON that
 * `JSON.parse` must then read. Over this project's node_modules it builds the same ESTree as
 * `parseSync` (UTF-16 offsets, comments, errors) about three times faster than acorn and far
 * faster than the JSON path.
 *
 * oxc-parser only offers raw transfer on Node 22 and later, because Node 20 cannot make a
 * `Uint8Array` over the whole 6 GiB `ArrayBuffer` it needs (the parser's arena is a 2 GiB block
 * aligned on 4 GiB). Its native `getBufferOffset` only needs the buffer's address, which a
 * 16-byte view of the same `ArrayBuffer` gives; the 2 GiB views over the aligned block are fine
 * on Node 20. So this module calls the binding and the deserialisers directly, the way
 * `oxc-parser/src-js/raw-transfer` does, through subpaths the package exports. They belong to one
 * oxc version (the lockfile pins it); when anything is missing or the buffer cannot be had (a
 * 32-bit or big-endian machine, a process with little virtual memory), `rawParser()` answers
 * undefined and the caller parses the other way.
 *
 * The buffer is 6 GiB of address space per thread, of which only the pages a parse writes become
 * memory. One buffer per thread, reused for every file. Under a limit on address space
 * (`ulimit -v`) the buffers would take what V8 later needs for its own reservations, and V8 ends
 * the process when one fails ("Fatal process OOM ... CodeRange", seen with a 12 GB limit and two
 * threads), so a process with such a limit parses the other way; so does one on a machine that
 * accounts memory strictly (`vm.overcommit_memory=2`), where the buffer would count in full.
 */
import { readFileSync } from 'node:fs';

export interface RawParseResult {
  readonly program: unknown;
  readonly comments: ReadonlyArray<{ readonly start: number; readonly end: number }>;
  readonly errors: ReadonlyArray<{
    readonly message: string;
    readonly labels: ReadonlyArray<{ readonly start: number; readonly end: number }>;
  }>;
}

export interface RawParseOptions {
  readonly lang: 'js' | 'jsx' | 'ts' | 'tsx' | 'dts';
  readonly sourceType: 'module' | 'script' | 'unambiguous';
  readonly preserveParens: boolean;
}

export type RawParse = (filename: string, source: string, options: RawParseOptions) => RawParseResult;

/** A tree oxc wrote into this thread's buffer, read in place (`position/walk.ts`) until the next parse. */
export interface BufferTree {
  /** The whole buffer; `int32` is a view of the same bytes. */
  readonly buffer: Uint8Array & { readonly int32: Int32Array };
  /** Where oxc's result starts in the buffer: the program, then its comments and errors. */
  readonly dataPos: number;
  /** Where the `Program` node starts in the buffer. */
  readonly programPos: number;
  /** Where the source's UTF-8 bytes start in the buffer: names and strings point into them. */
  readonly sourceStart: number;
  /** How many bytes of UTF-8 the source took there. */
  readonly sourceBytes: number;
  /** Whether the source is ASCII only, so that a byte offset into it is also a UTF-16 one. */
  readonly sourceIsAscii: boolean;
  /** TypeScript (its nodes have more fields than JavaScript's). */
  readonly isTypeScript: boolean;
}

export type BufferParse = (filename: string, source: string, options: RawParseOptions) => BufferTree;

/** The two ways of reading a raw-transfer parse; they share one buffer per thread. */
export interface RawParsers {
  /** The ESTree, as `parseSync` builds it. */
  readonly parse: RawParse;
  /** The tree left in the buffer, for a walk that builds no nodes. */
  readonly parseToBuffer: BufferParse;
}

interface Comment {
  readonly type: string;
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

interface TransferBuffer extends Uint8Array {
  int32: Int32Array;
  float64: Float64Array;
  block: Uint8Array;
}

interface Bindings {
  getBufferOffset(view: Uint8Array): number;
  parseRawSync(
    filename: string,
    block: Uint8Array,
    sourceStart: number,
    sourceLength: number,
    options: RawParseOptions,
  ): void;
}

interface Constants {
  DATA_POINTER_POS_32: number;
  PROGRAM_OFFSET: number;
  BLOCK_SIZE: number;
  BLOCK_ALIGN: number;
  BUFFER_SIZE: number;
  ACTIVE_SIZE: number;
  IS_TS_FLAG_POS: number;
}

type Deserialize = (
  buffer: TransferBuffer,
  source: string,
  sourceStart: number,
  sourceLength: number,
) => RawParseResult;

/** TextEncoder cannot write more than 1 GiB at once; oxc refuses such sources the same way. */
const MAX_SOURCE_BYTES = 1 << 30;

async function load(): Promise<RawParsers | undefined> {
  if (process.arch !== 'x64' && process.arch !== 'arm64') return undefined;
  if (addressSpaceLimited() || strictOvercommit()) return undefined;
  try {
    // Variables, not literals: these subpaths ship no type declarations; the interfaces above
    // say what is used of them.
    const paths = [
      'oxc-parser/src-js/bindings',
      'oxc-parser/src-js/generated/constants',
      'oxc-parser/src-js/generated/deserialize/js',
      'oxc-parser/src-js/generated/deserialize/ts',
    ];
    const [bindings, constants, js, ts] = (await Promise.all(paths.map((path) => import(path)))) as [
      Bindings,
      Constants,
      { deserialize: Deserialize },
      { deserialize: Deserialize },
    ];
    if (typeof bindings.parseRawSync !== 'function' || typeof bindings.getBufferOffset !== 'function')
      return undefined;
    return makeParsers(bindings, constants, js.deserialize, ts.deserialize);
  } catch {
    return undefined;
  }
}

function makeParsers(
  bindings: Bindings,
  constants: Constants,
  deserializeJs: Deserialize,
  deserializeTs: Deserialize,
): RawParsers | undefined {
  const {
    BLOCK_SIZE,
    BLOCK_ALIGN,
    BUFFER_SIZE,
    ACTIVE_SIZE,
    IS_TS_FLAG_POS,
    DATA_POINTER_POS_32,
    PROGRAM_OFFSET,
  } = constants;
  let arrayBuffer: ArrayBuffer;
  try {
    arrayBuffer = new ArrayBuffer(BLOCK_SIZE + BLOCK_ALIGN);
  } catch {
    return undefined; // not enough address space (or an overcommit policy that refuses it)
  }
  const offset = bindings.getBufferOffset(new Uint8Array(arrayBuffer, 0, 16));
  const buffer = new Uint8Array(arrayBuffer, offset, BUFFER_SIZE) as TransferBuffer;
  buffer.int32 = new Int32Array(arrayBuffer, offset, BUFFER_SIZE / 4);
  buffer.float64 = new Float64Array(arrayBuffer, offset, BUFFER_SIZE / 8);
  buffer.block = new Uint8Array(arrayBuffer, offset, BLOCK_SIZE);
  const encoder = new TextEncoder();
  /** Parses into the buffer; answers where the source went and how many bytes it took. */
  const parseIntoBuffer = (filename: string, source: string, options: RawParseOptions) => {
    // The source goes at the end of the active region, with room for the worst case of UTF-8
    // (three bytes per UTF-16 unit); the tree is written below it.
    const reserved = source.length * 3;
    if (reserved > MAX_SOURCE_BYTES) throw new RangeError('source text is too long for the parser');
    const sourceStart = ACTIVE_SIZE - reserved;
    const { read, written } = encoder.encodeInto(
      source,
      new Uint8Array(arrayBuffer, offset + sourceStart, reserved),
    );
    if (read !== source.length) throw new Error('could not copy the source text into the parse buffer');
    bindings.parseRawSync(filename, buffer.block, sourceStart, written, options);
    return { sourceStart, written };
  };
  const parse: RawParse = (filename, source, options) => {
    const { sourceStart, written } = parseIntoBuffer(filename, source, options);
    const isJs = buffer[IS_TS_FLAG_POS] === 0;
    const result = (isJs ? deserializeJs : deserializeTs)(buffer, source, sourceStart, written);
    // As oxc-parser's own raw path does: a hashbang is a line comment in JavaScript's list.
    const hashbang = (result.program as { hashbang?: Comment | null }).hashbang;
    if (isJs && hashbang) (result.comments as Comment[]).unshift({ ...hashbang, type: 'Line' });
    return result;
  };
  const parseToBuffer: BufferParse = (filename, source, options) => {
    const { sourceStart, written } = parseIntoBuffer(filename, source, options);
    const dataPos = buffer.int32[DATA_POINTER_POS_32]!;
    return {
      buffer,
      dataPos,
      programPos: dataPos + PROGRAM_OFFSET,
      sourceStart,
      sourceBytes: written,
      sourceIsAscii: written === source.length,
      isTypeScript: buffer[IS_TS_FLAG_POS] !== 0,
    };
  };
  return { parse, parseToBuffer };
}

/** Whether this process runs under a soft limit on its address space (Linux; elsewhere: no). */
export function addressSpaceLimited(limits = readProcLimits()): boolean {
  const line = limits?.split('\n').find((each) => each.startsWith('Max address space'));
  const soft = line?.slice('Max address space'.length).trim().split(/\s+/)[0];
  return soft !== undefined && soft !== 'unlimited';
}

function readProcLimits(): string | undefined {
  return readProcFile('/proc/self/limits');
}

function strictOvercommit(): boolean {
  return readProcFile('/proc/sys/vm/overcommit_memory')?.trim() === '2';
}

function readProcFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

let loaded: Promise<RawParsers | undefined> | undefined;

/**
 * The raw-transfer parsers of this thread, or undefined where they cannot run. Set
 * `COUNTERSIGN_JS_RAW_TRANSFER=0` to parse without them (for comparisons).
 */
export function rawParsers(): Promise<RawParsers | undefined> {
  if (process.env.COUNTERSIGN_JS_RAW_TRANSFER === '0') return Promise.resolve(undefined);
  loaded ??= load();
  return loaded;
}

/** The ESTree half of `rawParsers()`. */
export async function rawParser(): Promise<RawParse | undefined> {
  return (await rawParsers())?.parse;
}
