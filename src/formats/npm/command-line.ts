/**
 * A small tokenizer for the shell command lines of npm lifecycle scripts (`sh -c` on POSIX,
 * `cmd /d /s /c` on Windows). It does not aim at full POSIX grammar: it splits a line into
 * pipelines (`;`, `&&`, `||`, `&`, newlines) of commands (`|`), each a list of words with quotes
 * and escapes removed, and lifts command substitutions (`$(…)`, backticks) out as pipelines of
 * their own, so that `node -e "$(curl …)"` still shows its `curl`. Pure and bounded: it never
 * throws, whatever the input.
 */

export interface ShellCommand {
  /** Words with quotes removed; redirections (`> file`, `2>&1`) and `VAR=value` prefixes dropped. */
  readonly words: readonly string[];
  /** Environment assignments written before the program (`FOO=1 node x.js`). */
  readonly assignments: readonly string[];
}

export interface ShellPipeline {
  /** Commands joined by `|`: each reads what the one before it wrote. */
  readonly commands: readonly ShellCommand[];
  /** Lifted out of a `$(…)` or backtick substitution inside another command. */
  readonly isSubstitution: boolean;
}

export interface CommandLine {
  readonly pipelines: readonly ShellPipeline[];
  /** A quote or substitution was still open at the end of the line. */
  readonly isUnterminated: boolean;
}

/** Lines longer than this are cut: no real lifecycle script is anywhere near it. */
const MAX_LINE_CHARS = 64 * 1024;
/** Substitutions nested deeper than this are kept as literal text. */
const MAX_NESTING = 4;

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const REDIRECTION = /^(\d*|&)(>>?|<<?|>&|<&)(.*)$/;

interface Builder {
  pipelines: ShellPipeline[];
  isUnterminated: boolean;
}

export function tokenizeCommandLine(line: string): CommandLine {
  const builder: Builder = { pipelines: [], isUnterminated: false };
  parseInto(line.slice(0, MAX_LINE_CHARS), builder, 0, false);
  return { pipelines: builder.pipelines, isUnterminated: builder.isUnterminated };
}

/** Finds the end of a `$(…)` starting after its `(`, honouring quotes and nested parentheses. */
function closingParen(text: string, from: number): number {
  let depth = 1;
  let quote: string | undefined;
  for (let at = from; at < text.length; at++) {
    const char = text[at]!;
    if (quote) {
      if (char === '\\' && quote === '"') at++;
      else if (char === quote) quote = undefined;
    } else if (char === '\\') at++;
    else if (char === '"' || char === "'") quote = char;
    else if (char === '(') depth++;
    else if (char === ')' && --depth === 0) return at;
  }
  return -1;
}

function parseInto(text: string, builder: Builder, nesting: number, isSubstitution: boolean): void {
  let commands: ShellCommand[] = [];
  let words: string[] = [];
  let word = '';
  let hasWord = false;
  let at = 0;

  const substitute = (inner: string) => {
    if (nesting < MAX_NESTING) parseInto(inner, builder, nesting + 1, true);
  };
  const endWord = () => {
    if (hasWord) words.push(word);
    word = '';
    hasWord = false;
  };
  const endCommand = () => {
    endWord();
    const command = finishCommand(words);
    if (command) commands.push(command);
    words = [];
  };
  const endPipeline = () => {
    endCommand();
    if (commands.length > 0) builder.pipelines.push({ commands, isSubstitution });
    commands = [];
  };

  while (at < text.length) {
    const char = text[at]!;
    const next = text[at + 1];
    if (char === '\\') {
      if (next === '\n') at += 2;
      else {
        word += next ?? '';
        hasWord = true;
        at += 2;
      }
      continue;
    }
    if (char === "'") {
      const end = text.indexOf("'", at + 1);
      if (end < 0) builder.isUnterminated = true;
      word += text.slice(at + 1, end < 0 ? text.length : end);
      hasWord = true;
      at = end < 0 ? text.length : end + 1;
      continue;
    }
    if (char === '"') {
      at = readDoubleQuoted(
        text,
        at + 1,
        builder,
        (value) => {
          word += value;
          hasWord = true;
        },
        substitute,
      );
      continue;
    }
    if (char === '$' && next === '(') {
      const end = closingParen(text, at + 2);
      if (end < 0) builder.isUnterminated = true;
      const inner = text.slice(at + 2, end < 0 ? text.length : end);
      substitute(inner);
      word += `$(${inner})`;
      hasWord = true;
      at = end < 0 ? text.length : end + 1;
      continue;
    }
    if (char === '`') {
      const end = text.indexOf('`', at + 1);
      if (end < 0) builder.isUnterminated = true;
      const inner = text.slice(at + 1, end < 0 ? text.length : end);
      substitute(inner);
      word += `\`${inner}\``;
      hasWord = true;
      at = end < 0 ? text.length : end + 1;
      continue;
    }
    if (char === '|' && next !== '|') {
      endCommand();
      at += 1;
      continue;
    }
    if (char === ';' || char === '\n' || char === '\r') {
      endPipeline();
      at += 1;
      continue;
    }
    if ((char === '&' && next === '&') || (char === '|' && next === '|')) {
      endPipeline();
      at += 2;
      continue;
    }
    if (char === '&' && text[at - 1] !== '>' && next !== '>') {
      endPipeline();
      at += 1;
      continue;
    }
    if (char === '(' || char === ')' || char === '{' || char === '}') {
      // Grouping: the commands inside are ordinary commands of their own.
      if (!hasWord) {
        endPipeline();
        at += 1;
        continue;
      }
    }
    if (char === ' ' || char === '\t') {
      endWord();
      at += 1;
      continue;
    }
    word += char;
    hasWord = true;
    at += 1;
  }
  endPipeline();
}

function readDoubleQuoted(
  text: string,
  from: number,
  builder: Builder,
  append: (value: string) => void,
  substitute: (inner: string) => void,
): number {
  let value = '';
  let at = from;
  while (at < text.length) {
    const char = text[at]!;
    if (char === '"') {
      append(value);
      return at + 1;
    }
    if (char === '\\' && at + 1 < text.length && '"\\$`'.includes(text[at + 1]!)) {
      value += text[at + 1];
      at += 2;
      continue;
    }
    if (char === '$' && text[at + 1] === '(') {
      const end = closingParen(text, at + 2);
      const inner = text.slice(at + 2, end < 0 ? text.length : end);
      substitute(inner);
      value += `$(${inner})`;
      if (end < 0) {
        builder.isUnterminated = true;
        append(value);
        return text.length;
      }
      at = end + 1;
      continue;
    }
    if (char === '`') {
      const end = text.indexOf('`', at + 1);
      const inner = text.slice(at + 1, end < 0 ? text.length : end);
      substitute(inner);
      value += `\`${inner}\``;
      if (end < 0) {
        builder.isUnterminated = true;
        append(value);
        return text.length;
      }
      at = end + 1;
      continue;
    }
    value += char;
    at += 1;
  }
  builder.isUnterminated = true;
  append(value);
  return text.length;
}

/** Drops redirections and leading assignments; undefined for an empty command. */
function finishCommand(words: readonly string[]): ShellCommand | undefined {
  const kept: string[] = [];
  const assignments: string[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index]!;
    const redirection = REDIRECTION.exec(word);
    if (redirection) {
      // `> file` takes the next word as its target; `>file` and `2>&1` carry it.
      if (redirection[3] === '') index++;
      continue;
    }
    if (kept.length === 0 && ASSIGNMENT.test(word)) {
      assignments.push(word);
      continue;
    }
    kept.push(word);
  }
  if (kept.length === 0 && assignments.length === 0) return undefined;
  return { words: kept, assignments };
}
