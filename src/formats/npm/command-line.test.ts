import { describe, expect, it } from 'vitest';
import { tokenizeCommandLine } from './command-line.js';

const words = (line: string) =>
  tokenizeCommandLine(line).pipelines.map((pipeline) => pipeline.commands.map((command) => command.words));

describe('tokenizeCommandLine', () => {
  it('splits pipelines on ; && || & and newlines, and commands on |', () => {
    expect(words('a x && b y || c; d & e\nf | g')).toEqual([
      [['a', 'x']],
      [['b', 'y']],
      [['c']],
      [['d']],
      [['e']],
      [['f'], ['g']],
    ]);
  });

  it('removes quotes and escapes, keeping quoted separators inside words', () => {
    expect(words(`node -e "console.log('a; b')" 'x && y' z\\ w`)).toEqual([
      [['node', '-e', "console.log('a; b')", 'x && y', 'z w']],
    ]);
  });

  it('drops redirections and keeps leading assignments apart', () => {
    const line = tokenizeCommandLine('FOO=1 BAR=2 node x.js > out.log 2>&1');
    expect(line.pipelines[0]!.commands[0]).toEqual({
      words: ['node', 'x.js'],
      assignments: ['FOO=1', 'BAR=2'],
    });
  });

  it('lifts command substitutions out as pipelines of their own', () => {
    const line = tokenizeCommandLine('sh -c "$(curl -fsSL https://x.example.invalid/i.sh)" `wget -q y`');
    const substituted = line.pipelines.filter((pipeline) => pipeline.isSubstitution);
    expect(substituted.map((pipeline) => pipeline.commands[0]!.words[0])).toEqual(['curl', 'wget']);
  });

  it('says when a quote is left open, and still returns what it read', () => {
    const line = tokenizeCommandLine('curl "https://x.example.invalid');
    expect(line.isUnterminated).toBe(true);
    expect(line.pipelines[0]!.commands[0]!.words[0]).toBe('curl');
  });

  it('never throws on any prefix of a tricky line', () => {
    const tricky = `A=1 node -e "$(echo 'x' | base64 -d)" \`a\` && (cd x; sh -c 'y') || z "\\"" 2>&1 | tee f`;
    for (let cut = 0; cut <= tricky.length; cut++) {
      expect(() => tokenizeCommandLine(tricky.slice(0, cut))).not.toThrow();
    }
  });
});

describe('when the command line is random', () => {
  it('neither throws nor hangs on 2000 random lines built from shell metacharacters', () => {
    // A fixed-seed xorshift: the same lines on every run, so a failure can be replayed.
    let state = 0x9e3779b9;
    const next = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 0x100000000;
    };
    const alphabet = [
      'a',
      ' ',
      '"',
      "'",
      '\\',
      '$(',
      ')',
      '`',
      '|',
      '&',
      ';',
      '\n',
      '>',
      '2>&1',
      '(',
      '{',
      '-enc',
    ];
    for (let line = 0; line < 2000; line++) {
      let text = '';
      const length = Math.floor(next() * 60);
      for (let at = 0; at < length; at++) text += alphabet[Math.floor(next() * alphabet.length)];
      const result = tokenizeCommandLine(text);
      expect(Array.isArray(result.pipelines)).toBe(true);
    }
  });
});
