import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { compileLinearPattern } from './linear-pattern.js';
import { refang } from './refang.js';
import type { IocType } from './types.js';

export type Normalised =
  | { readonly ok: true; readonly type: IocType; readonly value: string }
  | { readonly ok: false; readonly reason: string };

const HASH_BY_LENGTH: Readonly<Record<number, IocType>> = {
  32: 'md5',
  40: 'sha1',
  64: 'sha256',
  128: 'sha512',
};
const HASH_LENGTH: Readonly<Partial<Record<IocType, number>>> = {
  md5: 32,
  sha1: 40,
  sha256: 64,
  sha512: 128,
};
/** Longest indicator value accepted; anything longer is not an indicator but a mistake. */
const MAX_VALUE_LENGTH = 8192;

/** Endings that are file extensions, not TLDs, when guessing (`ffmpeg.dll` is not a host). */
const FILE_EXTENSIONS = new Set(
  'dll exe msi dmg bin dylib ps1 bat cmd vbs jar apk tgz ico chk log txt js so lnk scr sys tmp dat pdb'.split(
    ' ',
  ),
);

const fail = (reason: string): Normalised => ({ ok: false, reason });

/** Normalises `raw` as an indicator of `type` (refanging first). */
export function normaliseIndicator(type: IocType, raw: string): Normalised {
  const text = refang(raw);
  if (text === '') return fail('empty value');
  if (text.length > MAX_VALUE_LENGTH) return fail(`value longer than ${MAX_VALUE_LENGTH} characters`);
  switch (type) {
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sha512':
      return normaliseHash(type, text);
    case 'domain':
      return wrap('domain', normaliseDomain(text));
    case 'ip':
      return wrap('ip', normaliseIpOrCidr(text));
    case 'url':
      return wrap('url', normaliseUrl(text));
    case 'filename':
      return normaliseFilename(text);
    case 'url-pattern':
    case 'path-pattern': {
      const compiled = compileLinearPattern(text);
      return compiled.ok ? { ok: true, type, value: text } : fail(compiled.reason);
    }
  }
}

/**
 * Guesses the type of a bare value from a plain list: hex of a hash length, an IP or CIDR, a URL
 * (has a scheme), or a domain. File names and patterns are never guessed: say the type.
 */
export function inferIndicator(raw: string): Normalised {
  const text = refang(raw);
  if (/^[0-9a-f]+$/i.test(text)) {
    const type = HASH_BY_LENGTH[text.length];
    return type === undefined
      ? fail(`hex string of length ${text.length} is not an md5/sha1/sha256/sha512`)
      : normaliseHash(type, text);
  }
  if (normaliseIpOrCidr(text) !== undefined) return normaliseIndicator('ip', text);
  const ipPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
  if (ipPort !== null) return normaliseIndicator('ip', ipPort[1]!);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return normaliseIndicator('url', text);
  const domain = normaliseDomain(text);
  if (domain !== undefined && FILE_EXTENSIONS.has(domain.slice(domain.lastIndexOf('.') + 1))) {
    return fail('looks like a file name, not a domain: give the type "filename"');
  }
  if (domain !== undefined) return { ok: true, type: 'domain', value: domain };
  return fail('not a hash, IP, URL or domain (give the type for file names and patterns)');
}

function wrap(type: IocType, value: string | undefined): Normalised {
  return value === undefined ? fail(`not a valid ${type}`) : { ok: true, type, value };
}

function normaliseHash(type: IocType, text: string): Normalised {
  const lower = text.toLowerCase();
  if (!/^[0-9a-f]+$/.test(lower)) return fail(`${type} must be hexadecimal`);
  if (lower.length !== HASH_LENGTH[type])
    return fail(`${type} must be ${HASH_LENGTH[type]} hex digits, found ${lower.length}`);
  return { ok: true, type, value: lower };
}

/** Lowercase, punycode, no trailing dot, `*.` wildcard dropped (subdomains match anyway). */
export function normaliseDomain(text: string): string | undefined {
  let host = text.trim().replace(/\.$/, '');
  if (host.startsWith('*.')) host = host.slice(2);
  if (host === '' || /[\s/:@]/.test(host)) return undefined;
  const ascii = domainToASCII(host.toLowerCase());
  if (ascii === '' || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2) return undefined;
  if (!labels.every((label) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label))) return undefined;
  if (/^\d+$/.test(labels.at(-1)!)) return undefined; // that is an IP, or nothing
  return ascii;
}

/** Canonical IP (IPv6 compressed, lowercase), or CIDR block with the host bits as written. */
export function normaliseIpOrCidr(text: string): string | undefined {
  const [address, prefix, ...rest] = text.trim().split('/');
  if (address === undefined || rest.length > 0) return undefined;
  const canonical = canonicalIp(address);
  if (canonical === undefined) return undefined;
  if (prefix === undefined) return canonical;
  if (!/^\d{1,3}$/.test(prefix)) return undefined;
  const bits = Number(prefix);
  if (bits > (isIP(canonical) === 4 ? 32 : 128)) return undefined;
  return `${canonical}/${bits}`;
}

export function canonicalIp(text: string): string | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const version = isIP(bare);
  if (version === 4) {
    // Leading zeros are octal to some parsers and decimal to others: refuse to guess.
    return bare.split('.').some((part) => part.length > 1 && part.startsWith('0')) ? undefined : bare;
  }
  // A zone index (`fe80::1%eth0`) names an interface of one host, not an address anyone else can
  // see: refused (node's isIP accepts it, the URL parser that canonicalises does not).
  if (version === 6 && !bare.includes('%')) return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  return undefined;
}

/** WHATWG-parsed URL: lowercase scheme and host, punycode, default port dropped, no fragment. */
export function normaliseUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (url.hostname === '' && url.protocol !== 'file:') return undefined;
  url.hash = '';
  return url.href;
}

function normaliseFilename(text: string): Normalised {
  const name = text.split(/[\\/]/).at(-1) ?? '';
  if (name === '' || name === '.' || name === '..') return fail('not a file name');
  return { ok: true, type: 'filename', value: name.toLowerCase() };
}
