import type { IocType } from './types.js';

/**
 * The subset of STIX 2.x patterning that maps onto independent indicators: observation
 * expressions `[...]` joined by OR, each holding `object-path = 'value'` comparisons joined by OR.
 * `AND`, `FOLLOWEDBY`, qualifiers and other operators express conditions a single observable
 * cannot satisfy on its own, so such patterns are refused with the reason (never half-read).
 */
export interface StixComparison {
  /** `undefined` means "IP or domain, decide by the value" (`network-traffic:dst_ref.value`). */
  readonly type: IocType | undefined;
  readonly objectPath: string;
  readonly value: string;
}

export type StixPatternResult =
  | { readonly ok: true; readonly comparisons: readonly StixComparison[] }
  | { readonly ok: false; readonly reason: string };

type Token =
  | { readonly kind: 'punct'; readonly text: '[' | ']' | '(' | ')' }
  | { readonly kind: 'word'; readonly text: string }
  | { readonly kind: 'op'; readonly text: string }
  | { readonly kind: 'string'; readonly text: string };

const HASH_NAMES: Readonly<Record<string, IocType>> = {
  md5: 'md5',
  'sha-1': 'sha1',
  sha1: 'sha1',
  'sha-256': 'sha256',
  sha256: 'sha256',
  'sha-512': 'sha512',
  sha512: 'sha512',
};

const REF_TYPES: Readonly<Record<string, IocType>> = {
  'ipv4-addr': 'ip',
  'ipv6-addr': 'ip',
  'domain-name': 'domain',
};

class Refused extends Error {}

function isWord(token: Token | undefined, word: string): boolean {
  return token?.kind === 'word' && token.text.toUpperCase() === word;
}

export function parseStixPattern(pattern: string): StixPatternResult {
  try {
    const tokens = tokenize(pattern);
    const comparisons: StixComparison[] = [];
    let i = 0;
    const expect = (text: string): void => {
      const token = tokens[i];
      if (token?.text !== text || token.kind === 'string')
        throw new Refused(`expected "${text}" at token ${i + 1}`);
      i += 1;
    };
    const observation = (): void => {
      const token = tokens[i];
      if (token?.kind === 'punct' && token.text === '(') {
        i += 1;
        expression();
        expect(')');
        return;
      }
      expect('[');
      conjunction();
      while (isWord(tokens[i], 'OR')) {
        i += 1;
        conjunction();
      }
      expect(']');
    };
    const expression = (): void => {
      observation();
      for (;;) {
        const token = tokens[i];
        if (token?.kind !== 'word') return;
        const word = token.text.toUpperCase();
        if (word === 'OR') {
          i += 1;
          observation();
        } else {
          throw new Refused(`${word} between observations cannot be matched one observable at a time`);
        }
      }
    };
    // `a AND b` is refused unless all but one part only constrain a reference's type, as MISP's
    // converter writes `network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '…'`.
    const conjunction = (): void => {
      const parts = [comparison()];
      while (isWord(tokens[i], 'AND')) {
        i += 1;
        parts.push(comparison());
      }
      const constraints = parts.filter((part) => /_ref\.type$/.test(part.objectPath));
      const values = parts.filter((part) => !/_ref\.type$/.test(part.objectPath));
      if (parts.length > 1 && values.length !== 1) {
        throw new Refused('AND inside an observation needs several properties to match together');
      }
      const value = values[0];
      if (value === undefined) throw new Refused('a reference type constraint alone is not an indicator');
      let type = value.type;
      for (const constraint of constraints) {
        const constrained = REF_TYPES[constraint.value];
        if (constrained === undefined)
          throw new Refused(`reference type ${constraint.value} is not an indicator type we match`);
        type = constrained;
      }
      comparisons.push({ ...value, type: type ?? undefined });
    };
    const comparison = (): StixComparison => {
      const path = tokens[i];
      if (path?.kind !== 'word' || !path.text.includes(':'))
        throw new Refused(`expected an object path at token ${i + 1}`);
      i += 1;
      const op = tokens[i];
      if (op?.kind === 'word' && op.text.toUpperCase() === 'NOT')
        throw new Refused('negated comparisons are not indicators');
      if (op?.kind !== 'op' && op?.kind !== 'word')
        throw new Refused(`expected an operator after ${path.text}`);
      if (op.text !== '=') throw new Refused(`operator ${op.text} is not supported (only =)`);
      i += 1;
      const value = tokens[i];
      if (value?.kind !== 'string') throw new Refused(`expected a quoted string after ${path.text} =`);
      i += 1;
      const type = /_ref\.type$/.test(path.text) ? undefined : typeForPath(path.text);
      return { type, objectPath: path.text, value: value.text };
    };
    expression();
    if (i !== tokens.length) throw new Refused(`unexpected ${tokens[i]!.text} at token ${i + 1}`);
    return { ok: true, comparisons };
  } catch (error) {
    if (error instanceof Refused)
      return { ok: false, reason: `STIX pattern not supported: ${error.message}` };
    throw error;
  }
}

function typeForPath(path: string): IocType | undefined {
  const [objectType, property = ''] = splitOnce(path, ':');
  const prop = property.replace(/'/g, '').toLowerCase();
  switch (objectType!.toLowerCase()) {
    case 'file':
    case 'artifact': {
      if (prop === 'name' && objectType === 'file') return 'filename';
      const hash = prop.startsWith('hashes.') ? HASH_NAMES[prop.slice('hashes.'.length)] : undefined;
      if (hash !== undefined) return hash;
      break;
    }
    case 'domain-name':
      if (prop === 'value') return 'domain';
      break;
    case 'url':
      if (prop === 'value') return 'url';
      break;
    case 'ipv4-addr':
    case 'ipv6-addr':
      if (prop === 'value') return 'ip';
      break;
    case 'network-traffic':
      if (prop === 'dst_ref.value' || prop === 'src_ref.value') return undefined;
      break;
  }
  throw new Refused(`object path ${path} is not an indicator type we match`);
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === '[' || ch === ']' || ch === '(' || ch === ')') {
      tokens.push({ kind: 'punct', text: ch });
      i += 1;
    } else if (ch === "'") {
      let text = '';
      i += 1;
      for (;;) {
        const c = pattern[i];
        if (c === undefined) throw new Refused('unterminated string literal');
        if (c === '\\') {
          const escaped = pattern[i + 1];
          if (escaped !== "'" && escaped !== '\\')
            throw new Refused(`bad escape \\${escaped ?? ''} in a string`);
          text += escaped;
          i += 2;
        } else if (c === "'") {
          i += 1;
          break;
        } else {
          text += c;
          i += 1;
        }
      }
      tokens.push({ kind: 'string', text });
    } else if (/[=!<>]/.test(ch)) {
      const op = /^(!=|<=|>=|=|<|>)/.exec(pattern.slice(i))![0];
      tokens.push({ kind: 'op', text: op });
      i += op.length;
    } else {
      // An object path or keyword: runs to whitespace or a bracket, keeping quoted path steps.
      let text = '';
      while (i < pattern.length && !/[\s[\]()=!<>]/.test(pattern[i]!)) {
        if (pattern[i] === "'") {
          const end = pattern.indexOf("'", i + 1);
          if (end === -1) throw new Refused('unterminated quoted path step');
          text += pattern.slice(i, end + 1);
          i = end + 1;
        } else {
          text += pattern[i];
          i += 1;
        }
      }
      if (pattern[i] === '[' && text.includes(':'))
        throw new Refused(`list index in object path ${text}[...]`);
      tokens.push({ kind: 'word', text });
    }
  }
  return tokens;
}
