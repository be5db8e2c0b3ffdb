import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { CountersignError } from '../core/errors.js';
import type { IocIndex, IocMatch, Observable } from '../intel/ioc/match.js';

/**
 * `hunt --logs`: DNS, proxy and web logs line by line against domain, URL and IP indicators.
 * Formats: Zeek TSV (`#fields` header: dns.log, http.log, any path), Squid native access.log,
 * JSON lines, and plain text (URLs, host names and IPv4 addresses anywhere in the line).
 */

export const LOG_FORMATS = ['zeek', 'squid', 'jsonl', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** One line of a log that names an indicator. */
export interface LogHit {
  readonly match: IocMatch;
  readonly file: string;
  readonly line: number;
  readonly format: LogFormat;
  /** RFC 3339, when the format gives a time. */
  readonly time?: string;
  /** The client the line is about (Zeek `id.orig_h`, Squid client address), when given. */
  readonly host?: string;
  /** The line, shortened. */
  readonly text: string;
}

export interface LogHuntResult {
  readonly hits: LogHit[];
  readonly files: readonly { readonly file: string; readonly format: LogFormat; readonly lines: number }[];
}

/** Longest line looked at; the rest of a longer line is ignored (a log line this long is an attack). */
const MAX_LINE = 1024 * 1024;
const MAX_SNIPPET = 300;

const URL_RE = /\b(?:https?|wss?|ftp):\/\/[^\s"'<>`]+/gi;
const IPV4_RE = /\b(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\b/g;
const DOMAIN_RE = /\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]\b/gi;
const SQUID_LINE = /^(\d{9,11}(?:\.\d+)?)\s+\d+\s+(\S+)\s+[A-Z_]+\/\d{3}\s+\d+\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)/;

export async function huntLogs(
  files: readonly string[],
  iocs: IocIndex,
  options: { readonly format?: LogFormat } = {},
): Promise<LogHuntResult> {
  const hits: LogHit[] = [];
  const summaries: { file: string; format: LogFormat; lines: number }[] = [];
  for (const file of files) {
    const result = await huntLogFile(file, iocs, options.format);
    hits.push(...result.hits);
    summaries.push({ file, format: result.format, lines: result.lines });
  }
  return { hits, files: summaries };
}

interface ZeekHeader {
  separator: string;
  setSeparator: string;
  unset: string;
  empty: string;
  fields: string[];
}

async function huntLogFile(
  file: string,
  iocs: IocIndex,
  forced: LogFormat | undefined,
): Promise<{ hits: LogHit[]; format: LogFormat; lines: number }> {
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a regular file');
  } catch (error) {
    throw new CountersignError('E_INPUT_NOT_FOUND', `${file}: cannot read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const hits: LogHit[] = [];
  let format: LogFormat | undefined = forced;
  let zeek: ZeekHeader | undefined;
  let lineNumber = 0;
  for await (const line of boundedLines(file)) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    format ??= detectFormat(line);
    let seen: LineObservables;
    if (format === 'zeek') {
      if (line.startsWith('#')) {
        zeek = zeekHeaderLine(line, zeek);
        continue;
      }
      if (!zeek?.fields.length) continue; // rows before `#fields` cannot be read
      seen = zeekObservables(line, zeek);
    } else if (format === 'squid') {
      seen = squidObservables(line) ?? textObservables(line);
    } else if (format === 'jsonl') {
      seen = jsonObservables(line) ?? textObservables(line);
    } else {
      seen = textObservables(line);
    }
    const ref = `${file}:${lineNumber}`;
    const already = new Set<string>();
    for (const observable of seen.observables) {
      for (const match of iocs.match({ ...observable, ref })) {
        // One hit per indicator per line: a URL and its host naming one domain is one sighting.
        const key = `${match.indicator.type}\u0000${match.indicator.value}\u0000${match.indicator.source.name}`;
        if (already.has(key)) continue;
        already.add(key);
        hits.push({
          match,
          file,
          line: lineNumber,
          format,
          ...(seen.time ? { time: seen.time } : {}),
          ...(seen.host ? { host: seen.host } : {}),
          text: line.length > MAX_SNIPPET ? `${line.slice(0, MAX_SNIPPET)}…` : line,
        });
      }
    }
  }
  return { hits, format: format ?? 'text', lines: lineNumber };
}

/**
 * The lines of a file, each cut to MAX_LINE bytes: unlike readline, a file without newlines
 * (a binary given by mistake, a hostile log) never makes one string of its whole size.
 */
async function* boundedLines(file: string): AsyncGenerator<string> {
  let parts: Buffer[] = [];
  let kept = 0;
  const flush = () => {
    const text = Buffer.concat(parts).toString('utf8');
    parts = [];
    kept = 0;
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  const keep = (piece: Buffer) => {
    const room = MAX_LINE - kept;
    if (room <= 0) return;
    const cut = piece.length > room ? piece.subarray(0, room) : piece;
    parts.push(cut);
    kept += cut.length;
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(10, start); end !== -1; end = chunk.indexOf(10, start)) {
      keep(chunk.subarray(start, end));
      yield flush();
      start = end + 1;
    }
    keep(chunk.subarray(start));
  }
  if (kept > 0) yield flush();
}

function detectFormat(line: string): LogFormat {
  if (line.startsWith('#separator') || line.startsWith('#fields')) return 'zeek';
  if (line.trimStart().startsWith('{')) return 'jsonl';
  if (SQUID_LINE.test(line)) return 'squid';
  return 'text';
}

interface LineObservables {
  readonly observables: Omit<Observable, 'ref'>[];
  readonly time?: string;
  readonly host?: string;
}

function unescapeZeek(value: string): string {
  return value.replace(/\\x([0-9a-f]{2})/gi, (_all, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

function zeekHeaderLine(line: string, previous: ZeekHeader | undefined): ZeekHeader {
  const header: ZeekHeader = previous ?? {
    separator: '\t',
    setSeparator: ',',
    unset: '-',
    empty: '(empty)',
    fields: [],
  };
  if (line.startsWith('#separator ')) header.separator = unescapeZeek(line.slice('#separator '.length));
  else {
    const [key, ...rest] = line.slice(1).split(header.separator);
    const value = rest.join(header.separator);
    if (key === 'set_separator') header.setSeparator = value;
    else if (key === 'unset_field') header.unset = value;
    else if (key === 'empty_field') header.empty = value;
    else if (key === 'fields') header.fields = rest;
  }
  return header;
}

function epochToIso(value: string | undefined): string | undefined {
  if (value === undefined || !/^\d+(?:\.\d+)?$/.test(value)) return undefined;
  const ms = Number(value) * 1000;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** A value that is a host: an IP address or a name, as written in a host field. */
function hostObservable(value: string): Omit<Observable, 'ref'> | undefined {
  const host = value.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (host === '') return undefined;
  if (/^[\d.]+$/.test(host) || host.includes(':')) return { type: 'ip', value: host };
  return { type: 'domain', value: host };
}

function zeekObservables(line: string, header: ZeekHeader): LineObservables {
  const values = line.split(header.separator);
  const row = new Map<string, string>();
  header.fields.forEach((field, index) => {
    const value = values[index];
    if (value !== undefined && value !== header.unset && value !== header.empty) row.set(field, value);
  });
  const observables: Omit<Observable, 'ref'>[] = [];
  const query = row.get('query');
  if (query) observables.push({ type: 'domain', value: query });
  const host = row.get('host');
  if (host) {
    const observable = hostObservable(host);
    if (observable) observables.push(observable);
    const uri = row.get('uri');
    if (uri) observables.push({ type: 'url', value: uri.includes('://') ? uri : `http://${host}${uri}` });
  }
  const referrer = row.get('referrer');
  if (referrer?.includes('://')) observables.push({ type: 'url', value: referrer });
  const responder = row.get('id.resp_h');
  if (responder) observables.push({ type: 'ip', value: responder });
  for (const answer of row.get('answers')?.split(header.setSeparator) ?? []) {
    // Answers are addresses or names; record data such as `TXT 33 ...` or `RRSIG 5 x` is neither.
    if (/\s/.test(answer)) continue;
    const observable = hostObservable(answer);
    if (observable) observables.push(observable);
  }
  const time = epochToIso(row.get('ts'));
  const client = row.get('id.orig_h');
  return { observables, ...(time ? { time } : {}), ...(client ? { host: client } : {}) };
}

function squidObservables(line: string): LineObservables | undefined {
  const match = SQUID_LINE.exec(line);
  if (!match) return undefined;
  const [, ts, client, method, url, hierarchy] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const observables: Omit<Observable, 'ref'>[] = [];
  if (url.includes('://')) observables.push({ type: 'url', value: url });
  else if (method === 'CONNECT' || /^[^/]+:\d+$/.test(url)) {
    const observable = hostObservable(url);
    if (observable) observables.push(observable);
  }
  const peer = hierarchy.split('/')[1];
  if (peer && peer !== '-') {
    const observable = hostObservable(peer);
    if (observable) observables.push(observable);
  }
  const time = epochToIso(ts);
  return { observables, ...(time ? { time } : {}), host: client };
}

const JSON_TIME_KEYS = ['ts', 'timestamp', '@timestamp', 'time', 'date'];
const JSON_CLIENT_KEYS = ['id.orig_h', 'client', 'client_ip', 'src_ip', 'source_ip', 'src', 'clientip'];

function jsonObservables(line: string): LineObservables | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const strings: string[] = [];
  const walk = (value: unknown, depth: number) => {
    if (typeof value === 'string') strings.push(value);
    else if (depth < 6 && value !== null && typeof value === 'object') {
      for (const inner of Object.values(value)) walk(inner, depth + 1);
    }
  };
  walk(doc, 0);
  const observables = strings.flatMap((text) => textObservables(text).observables);
  const record = doc as Record<string, unknown>;
  const rawTime = JSON_TIME_KEYS.map((key) => record[key]).find(
    (v) => typeof v === 'string' || typeof v === 'number',
  );
  const time =
    typeof rawTime === 'number'
      ? epochToIso(String(rawTime))
      : typeof rawTime === 'string' && !Number.isNaN(Date.parse(rawTime))
        ? new Date(rawTime).toISOString()
        : epochToIso(rawTime);
  const client = JSON_CLIENT_KEYS.map((key) => record[key]).find((v) => typeof v === 'string') as
    | string
    | undefined;
  return { observables, ...(time ? { time } : {}), ...(client ? { host: client } : {}) };
}

/** Plain text: URLs first, then host names and IPv4 addresses in what is left of the line. */
function textObservables(line: string): LineObservables {
  const observables: Omit<Observable, 'ref'>[] = [];
  const rest = line.replace(URL_RE, (url) => {
    observables.push({ type: 'url', value: url });
    return ' ';
  });
  for (const match of rest.matchAll(IPV4_RE)) observables.push({ type: 'ip', value: match[0] });
  for (const match of rest.replace(IPV4_RE, ' ').matchAll(DOMAIN_RE)) {
    observables.push({ type: 'domain', value: match[0] });
  }
  return { observables };
}
