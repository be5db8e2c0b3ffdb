import { type Candidate, IocCollector, parseConfidence } from './build.js';
import { refang } from './refang.js';
import type { IocImport, IocImportOptions, IocType } from './types.js';

export interface IocTextOptions extends IocImportOptions {
  /** The type of every line; default: inferred per line (hash by length, IP, URL, domain). */
  readonly type?: IocType;
}

/**
 * A plain indicator list, one per line. Understood:
 * - blank lines, and comment lines starting with `#` or `//`;
 * - an inline comment after whitespace: `evil.com  # C2`;
 * - signature-base style `value;comment` (hashes) and `pattern;score` (file-name IOCs: a number
 *   after the `;` is taken as the confidence score);
 * - defanged values (`hxxp://`, `evil[.]com`, `evil(.)com`, `http[:]//`).
 * The nearest comment line above a block (blocks are separated by blank lines) becomes the
 * description of the indicators in it, and an http(s) URL in that comment their reference: this
 * is how signature-base cites its sources.
 */
export function parseIocText(text: string, options: IocTextOptions): IocImport {
  const collector = new IocCollector(options);
  let context: string | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [index, rawLine] of lines.entries()) {
    const line = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === '') {
      context = undefined;
      continue;
    }
    if (trimmed.startsWith('#') || trimmed.startsWith('//')) {
      context = trimmed.replace(/^(#|\/\/)\s*/, '');
      continue;
    }
    const withoutComment = trimmed.replace(/\s+#.*$/, '');
    const [value, ...restParts] = splitSemicolon(withoutComment, options.type);
    const rest = restParts.join(';').trim();
    const score = /^\d{1,3}$/.test(rest) ? parseConfidence(rest) : undefined;
    const description = score === undefined && rest !== '' ? rest : context;
    const reference = firstUrl(rest) ?? (context === undefined ? undefined : firstUrl(context));
    const candidate: Candidate = {
      type: options.type,
      value: value!.trim(),
      location: `line ${line}`,
      line,
      ...(score !== undefined ? { confidence: score } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(reference !== undefined ? { reference } : {}),
    };
    collector.add(candidate);
  }
  return collector.result();
}

/**
 * Splits `value;comment`. URLs may hold `;`, so for URL-like lines only a trailing `;score` or a
 * `;` followed by a space starts the comment.
 */
function splitSemicolon(line: string, type: IocType | undefined): string[] {
  const isUrlish =
    type === 'url' ||
    type === 'url-pattern' ||
    (type === undefined && /^[a-z][\w+.-]*:\/\//i.test(refang(line)));
  if (!isUrlish) {
    // Patterns may contain ';' only escaped; the last ';' before a number is the score separator.
    const scored = /^(.*);\s*(\d{1,3})$/.exec(line);
    if (scored !== null && (type === 'path-pattern' || type === 'filename')) return [scored[1]!, scored[2]!];
    const at = line.indexOf(';');
    return at === -1 ? [line] : [line.slice(0, at), line.slice(at + 1)];
  }
  const match = /^(.*?)(?:;\s+(.*)|;(\d{1,3}))$/.exec(line);
  return match === null ? [line] : [match[1]!, match[2] ?? match[3] ?? ''];
}

function firstUrl(text: string): string | undefined {
  return /https?:\/\/\S+/.exec(text)?.[0];
}
