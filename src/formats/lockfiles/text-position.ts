/** Line numbers (1-based) for error messages on text formats. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(Math.max(0, offset), text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export function lineCount(text: string): number {
  return lineAt(text, text.length);
}
