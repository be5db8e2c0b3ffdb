import { Readable } from 'node:stream';
import { CountersignError } from '../../core/errors.js';
import type { ArchiveEntry, Unpacker } from '../../core/plugin.js';
import { readCompoundFile } from '../../formats/cfb/compound-file.js';
import { type MsiFile, type MsiPackage, readMsi } from '../../formats/msi/msi.js';
import { readWholeContainer } from './cab.js';
import { cabArchiveError, cabinetMembers } from './cab-entries.js';

function streamEntry(name: string, bytes: Uint8Array): ArchiveEntry {
  return {
    name,
    kind: 'file',
    declaredSize: bytes.length,
    open: async () =>
      Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)], { objectMode: false }),
  };
}

function missingEntry(file: MsiFile, problem: CountersignError): ArchiveEntry {
  return {
    name: file.installPath,
    kind: 'file',
    ...(file.size === undefined ? {} : { declaredSize: file.size }),
    problem,
  };
}

/** Why a file listed in the File table was not found in any embedded cabinet. */
function notEmbedded(file: MsiFile, context: string): CountersignError {
  const cabinet = file.media?.cabinet;
  if (cabinet && !cabinet.startsWith('#')) {
    return new CountersignError(
      'E_ARCHIVE_EXTERNAL_CONTENT',
      `${context}: ${file.installPath} is in the external cabinet ${cabinet}, beside the MSI`,
      { details: { cabinet } },
    );
  }
  if (cabinet) {
    return new CountersignError(
      'E_ARCHIVE_CORRUPT',
      `${context}: ${file.installPath} (file key ${file.key}) is not in its cabinet ${cabinet}`,
      { details: { cabinet } },
    );
  }
  return new CountersignError(
    'E_ARCHIVE_EXTERNAL_CONTENT',
    `${context}: ${file.installPath} is an uncompressed source file beside the MSI`,
    { details: { cabinet: null } },
  );
}

/**
 * unpacker/msi: Windows Installer packages (and other Compound Files). Files from embedded
 * cabinets get their installed paths from the File, Component and Directory tables
 * (`ProgramFilesFolder/ExampleDesk/ffmpeg.dll`); files whose cabinet lies outside the MSI are
 * recorded with E_ARCHIVE_EXTERNAL_CONTENT. Every other non-table stream becomes an entry too:
 * `Binary.*` (custom action code), `[5]DigitalSignature` (the package's Authenticode signature),
 * `[5]SummaryInformation`, and cabinets no Media row names (which the cab unpacker then opens).
 */
export const msiUnpacker: Unpacker = {
  id: 'unpacker/msi',
  version: 1,
  acceptsWithoutHead: true,
  accepts: (node) => node.type === 'cfb',
  async *unpack(node): AsyncGenerator<ArchiveEntry> {
    const context = `msi ${node.name}`;
    const bytes = await readWholeContainer(node, 'msi');
    let msi: MsiPackage;
    try {
      msi = readMsi(readCompoundFile(bytes));
    } catch (error) {
      throw cabArchiveError(error, context);
    }
    const filesByKey = new Map(msi.files.map((file) => [file.key, file]));
    const found = new Set<string>();
    const cabinetStreams = new Set<string>();
    for (const media of msi.media) {
      const streamName = media.embeddedStream;
      if (streamName === undefined || cabinetStreams.has(streamName)) continue;
      const stream = msi.streams.find((candidate) => !candidate.isTable && candidate.name === streamName);
      if (!stream) continue; // its files are reported below as missing from their cabinet
      cabinetStreams.add(streamName);
      const cabContext = `${context}: cabinet ${streamName}`;
      const members = cabinetMembers(stream.bytes, cabContext, (member) => {
        const file = filesByKey.get(member.name);
        return file ? file.installPath : `${stream.displayName}/${member.name.replaceAll('\\', '/')}`;
      });
      try {
        for (const member of members) {
          if (filesByKey.has(member.file.name)) found.add(member.file.name);
          yield member.entry;
        }
      } catch (error) {
        // A damaged cabinet: keep going with the rest of the package, recording it as one entry.
        yield {
          name: stream.displayName,
          kind: 'file',
          declaredSize: stream.bytes.length,
          problem: cabArchiveError(error, cabContext),
        };
      }
    }
    for (const file of msi.files) {
      if (!found.has(file.key)) yield missingEntry(file, notEmbedded(file, context));
    }
    for (const stream of msi.streams) {
      if (stream.isTable || cabinetStreams.has(stream.name)) continue;
      yield streamEntry(stream.displayName, stream.bytes);
    }
  },
};
