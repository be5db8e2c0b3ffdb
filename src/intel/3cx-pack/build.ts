import { parseIocText } from '../ioc/parse-text.js';
import type { Indicator, IocType } from '../ioc/types.js';
import type { AffectedRelease, IntelPack } from '../pack.js';

/** The three signature-base extracts the pack is built from (see SOURCE.md beside this file). */
export interface ThreeCxSources {
  readonly hashIocs: string;
  readonly c2Iocs: string;
  readonly filenameIocs: string;
}

export const SIGNATURE_BASE_COMMIT = '8a89b3bf54517bbc35718460321d42536e1e6198';
const SIGNATURE_BASE = `Neo23x0/signature-base@${SIGNATURE_BASE_COMMIT.slice(0, 8)}`;
const ATTRIBUTION =
  'Indicators from Neo23x0/signature-base (Florian Roth, Nextron Systems, and contributors), ' +
  `https://github.com/Neo23x0/signature-base/tree/${SIGNATURE_BASE_COMMIT}/iocs, ` +
  'licensed under the Detection Rule License 1.1 (LICENSE-DRL-1.1.md, https://github.com/SigmaHQ/Detection-Rule-License).';

/** Campaign names in the block comments that become tags. */
const CAMPAIGNS = [
  '3cx',
  'gopuram',
  'unc4736',
  'veiledsignal',
  'simplesea',
  'poolrat',
  'trading technologies',
] as const;

/**
 * The C2 URL pattern of the trojanized ffmpeg.dll: it fetched `icon%d.ico` files whose trailing
 * bytes held encrypted C2 addresses. Taken from the YARA rule named below (signature-base
 * `yara/gen_mal_3cx_compromise_mar23.yar`, string `$s1`), same commit and licence.
 */
const ICON_URL_PATTERN: Indicator = {
  type: 'url-pattern',
  value: '://raw\\.githubusercontent\\.com/IconStorages/images/main/icon\\d+\\.ico',
  original: 'raw.githubusercontent.com/IconStorages/images/main/icon%d.ico',
  source: {
    name: 'signature-base',
    reference: 'https://twitter.com/dan__mayer/status/1641170769194672128?s=20',
    location: `${SIGNATURE_BASE} yara/gen_mal_3cx_compromise_mar23.yar rule APT_MAL_NK_3CX_Malicious_Samples_Mar23_2 ($s1)`,
  },
  tags: ['3cx', 'c2', 'url-pattern'],
  confidence: 80,
  description:
    '3CX ffmpeg.dll fetched icon<N>.ico from this GitHub repository for its encrypted C2 list ' +
    '(YARA rule APT_MAL_NK_3CX_Malicious_Samples_Mar23_2 by Florian Roth, Nextron Systems)',
};

export function buildThreeCxPack(sources: ThreeCxSources): IntelPack {
  const indicators = [
    ...fromExtract(sources.hashIocs, 'iocs/hash-iocs.txt', undefined, 'hash'),
    ...fromExtract(sources.c2Iocs, 'iocs/c2-iocs.txt', 'domain', 'c2'),
    ...fromExtract(sources.filenameIocs, 'iocs/filename-iocs.txt', 'path-pattern', 'file-name'),
    ICON_URL_PATTERN,
  ];
  return {
    id: 'countersign/3cx-2023-03',
    name: '3CX DesktopApp supply-chain compromise (March 2023)',
    version: 1,
    description:
      'Trojanized 3CX DesktopApp builds signed with 3CX’s own key: affected versions per platform, installer and ' +
      'DLL hashes, C2 domains, file-name IOCs and the IconStorages icon URL pattern, each with its source.',
    license: { id: 'DRL-1.1', file: 'LICENSE-DRL-1.1.md', attribution: ATTRIBUTION },
    affectedReleases: affectedReleases(indicators),
    indicators,
  };
}

/** Parses one extract and points every indicator at its line in upstream signature-base. */
function fromExtract(
  text: string,
  upstreamPath: string,
  type: IocType | undefined,
  kind: string,
): Indicator[] {
  const result = parseIocText(text, {
    source: 'signature-base',
    ...(type !== undefined ? { type } : {}),
    strict: true,
  });
  const upstream = upstreamLines(text);
  return result.indicators.map((indicator) => {
    const line = Number(indicator.source.location?.replace('line ', ''));
    const context = `${indicator.description ?? ''} ${indicator.original}`.toLowerCase();
    const tags = [kind, ...CAMPAIGNS.filter((c) => context.includes(c)).map((c) => c.replace(/ /g, '-'))];
    const upstreamLine = upstream.get(line);
    const { description, ...rest } = indicator;
    // A block without a comment of its own inherits the extract's `--- source lines` header: drop it.
    const isHeader = description?.startsWith('--- source lines') === true;
    return {
      ...rest,
      ...(description !== undefined && !isHeader ? { description } : {}),
      source: {
        name: indicator.source.name,
        location: `${SIGNATURE_BASE} ${upstreamPath} line ${upstreamLine ?? '?'}`,
        // The report the line cites, or else the line itself upstream.
        reference:
          indicator.source.reference ??
          `https://github.com/Neo23x0/signature-base/blob/${SIGNATURE_BASE_COMMIT}/${upstreamPath}#L${upstreamLine}`,
      },
      tags: [...new Set(tags)],
    };
  });
}

/** Maps extract line numbers to upstream ones, from the `# --- source lines A-B` block headers. */
function upstreamLines(text: string): Map<number, number> {
  const map = new Map<number, number>();
  let start: number | undefined;
  let offset = 0;
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const header = /^# --- source lines (\d+)-\d+/.exec(line);
    if (header !== null) {
      start = Number(header[1]);
      offset = 0;
    } else if (start !== undefined && line.trim() !== '') {
      map.set(index + 1, start + offset);
      offset += 1;
    }
  }
  return map;
}

/** Affected releases from the installer file-name IOCs (`3CXDesktopApp-18.12.407.msi` → Windows). */
function affectedReleases(indicators: readonly Indicator[]): AffectedRelease[] {
  const releases: AffectedRelease[] = [];
  for (const indicator of indicators) {
    if (indicator.type !== 'path-pattern') continue;
    const match = /3CXDesktopApp-(\d+\.\d+\.\d+)\.(msi|dmg)/.exec(indicator.original.replace(/\\\./g, '.'));
    if (match === null) continue;
    releases.push({
      product: '3CX DesktopApp',
      platform: match[2] === 'msi' ? 'windows' : 'macos',
      version: match[1]!,
      artifact: `3CXDesktopApp-${match[1]}.${match[2]}`,
      source: indicator.source,
    });
  }
  return releases.sort(
    (a, b) =>
      a.platform.localeCompare(b.platform) || a.version.localeCompare(b.version, 'en', { numeric: true }),
  );
}
