import { ARCHIVE_TYPES, type DetectedType, textTypeByName } from '../core/detected-type.js';
import type { ScanNode } from '../core/scan-result.js';
import type { NodeRule } from './evaluate.js';

const MASQUERADE = 'https://attack.mitre.org/techniques/T1036/008/';

const MACHINE_CODE: ReadonlySet<DetectedType> = new Set(['pe', 'elf', 'macho', 'macho-fat']);

/**
 * Names that promise text or media: nothing runs such a file as machine code, so a reviewer (and
 * a scanner that goes by names) skips it. Names machine code is shipped under (`.node`, `.exe`,
 * `.dll`, `.so`, `.bin`, `.dat`, none at all) are not here.
 */
const TEXT_OR_MEDIA_NAME =
  /\.(m|c)?jsx?$|\.(m|c)?tsx?$|\.(json|map|md|markdown|txt|css|scss|less|html?|xml|svg|ya?ml|csv|log|ini|cfg|conf|png|jpe?g|gif|webp|bmp|ico|woff2?|ttf|otf|mp3|mp4|wav)$/i;

/** The file name of an entry stored with its folders (`package/lib/update.js` → `update.js`). */
function baseName(node: ScanNode): string {
  return node.name.replaceAll('\\', '/').split('/').pop() ?? node.name;
}

/** Machine code under a text or media name: a dropped payload made to look like an asset. */
export const disguisedExecutableRule: NodeRule = {
  id: 'file.masquerade.executable',
  version: 1,
  title: 'Executable disguised as a text or media file',
  identifies: 'threat.evasion.masquerade',
  severity: 'high',
  confidence: 'high',
  scope: 'node',
  rationale:
    'Packages ship machine code as what it is: `.node` addons, `.exe`/`.dll`/`.so` helpers, extension-less ' +
    'binaries. A PE, ELF or Mach-O named `.js`, `.png` or `.txt` is made to be skipped by a reviewer and by ' +
    'tools that go by names; droppers stash their second stage that way and rename it at run time.',
  remediation:
    'Find which code reads or renames this file (often an install script) and do not install the release ' +
    'until the supplier explains it.',
  references: [MASQUERADE],
  *evaluate({ node }) {
    if (node.entryKind !== 'file' || !MACHINE_CODE.has(node.type)) return;
    const name = baseName(node);
    if (!TEXT_OR_MEDIA_NAME.test(name)) return;
    yield {
      path: node.path,
      message: `${JSON.stringify(name)} is named as text or media but its bytes are a ${node.type.toUpperCase()} executable`,
      evidence: [{ role: 'primary', node: node.path, snippet: `${name}: ${node.type}` }],
    };
  },
};

/**
 * A script whose bytes are also an archive. Only a tar header can sit inside text (its magic and
 * checksum fit in a comment), so this is a polyglot made on purpose: the runtime reads the script,
 * an unpacker (or a later stage of the attack) reads the archive.
 */
export const scriptArchivePolyglotRule: NodeRule = {
  id: 'file.masquerade.script-archive',
  version: 1,
  title: 'Script that is also an archive',
  identifies: 'threat.evasion.masquerade',
  severity: 'medium',
  confidence: 'medium',
  scope: 'node',
  rationale:
    'A file that Node runs as JavaScript and a tar reader opens as an archive carries two contents under one ' +
    'name; tools that type it by its bytes may skip the script. Countersign analyses both, but no build tool ' +
    'writes such a file by accident.',
  remediation: 'Compare the script and the archive entries; ask the supplier why the file is both.',
  references: [MASQUERADE],
  *evaluate({ node }) {
    if (node.entryKind !== 'file' || !ARCHIVE_TYPES.has(node.type)) return;
    const name = baseName(node);
    const byName = textTypeByName(name);
    if (byName !== 'javascript' && byName !== 'typescript') return;
    yield {
      path: node.path,
      message: `${JSON.stringify(name)} is a ${byName === 'javascript' ? 'JavaScript' : 'TypeScript'} file whose bytes are also a ${node.type} archive`,
      evidence: [{ role: 'primary', node: node.path, snippet: `${name}: ${node.type}` }],
    };
  },
};

export const fileTypeRules: readonly NodeRule[] = [disguisedExecutableRule, scriptArchivePolyglotRule];
