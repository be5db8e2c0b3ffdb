/**
 * Finds where a JSON text stops being valid, for error messages with a line number (Node 20's
 * `JSON.parse` names a position for some errors only). Iterative, linear, allocation-free:
 * it only runs after `JSON.parse` has already failed.
 */
export function locateJsonError(text: string): number | undefined {
  let i = 0;
  const n = text.length;
  const skipWhitespace = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const scanString = (): boolean => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return false;
      } else i++;
    }
    return false;
  };
  const scanScalar = (): boolean => {
    const rest = text.slice(i, i + 5);
    for (const word of ['true', 'false', 'null']) {
      if (rest.startsWith(word)) {
        i += word.length;
        return true;
      }
    }
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === '' || match[0] === '-') return false;
    i += match[0].length;
    return true;
  };
  // Each open container: 'o' (object) or 'a' (array); `expect` is what may come next.
  const stack: string[] = [];
  let expect: 'value' | 'key-or-end' | 'value-or-end' | 'comma-or-end' | 'colon' | 'key' = 'value';
  for (;;) {
    skipWhitespace();
    if (i >= n) return stack.length === 0 && expect === 'comma-or-end' ? undefined : n;
    const c = text[i];
    const top = stack[stack.length - 1];
    switch (expect) {
      case 'value':
      case 'value-or-end': {
        if (expect === 'value-or-end' && c === ']') {
          stack.pop();
          i++;
          expect = 'comma-or-end';
        } else if (c === '{') {
          stack.push('o');
          i++;
          expect = 'key-or-end';
        } else if (c === '[') {
          stack.push('a');
          i++;
          expect = 'value-or-end';
        } else if (c === '"') {
          if (!scanString()) return i;
          expect = 'comma-or-end';
        } else {
          if (!scanScalar()) return i;
          expect = 'comma-or-end';
        }
        break;
      }
      case 'key-or-end':
      case 'key': {
        if (expect === 'key-or-end' && c === '}') {
          stack.pop();
          i++;
          expect = 'comma-or-end';
        } else if (c === '"') {
          if (!scanString()) return i;
          expect = 'colon';
        } else return i;
        break;
      }
      case 'colon': {
        if (c !== ':') return i;
        i++;
        expect = 'value';
        break;
      }
      case 'comma-or-end': {
        if (top === undefined) return i; // trailing content after the top-level value
        if (c === ',') {
          i++;
          expect = top === 'o' ? 'key' : 'value';
        } else if ((c === '}' && top === 'o') || (c === ']' && top === 'a')) {
          stack.pop();
          i++;
          expect = 'comma-or-end';
        } else return i;
        break;
      }
    }
  }
}
