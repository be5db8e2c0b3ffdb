import { type Command, Option } from 'commander';
import { IOC_FORMATS, type IocFormat } from '../intel/ioc/load.js';
import {
  BUNDLED_PACKS,
  type IntelSourceSummary,
  importIntelSource,
  installIntelPack,
  intelDir,
  listIntelSources,
  removeIntelSource,
} from '../intel/store-files.js';
import { EXIT } from './exit-codes.js';

/** Repeatable options rather than variadic ones, which would swallow the path argument. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

interface StoreFlags {
  intelDir?: string;
}

const storeOf = (flags: StoreFlags) => (flags.intelDir ? { dir: flags.intelDir } : {});

function describeSummary(summary: IntelSourceSummary): string {
  const counts = Object.entries(summary.counts)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
  return (
    `${summary.name}  [${summary.kind}]  ${counts}${summary.rejected > 0 ? `, rejected ${summary.rejected}` : ''}\n` +
    `  origin ${summary.origin}\n  fetched ${summary.fetchedAt}, imported ${summary.importedAt}\n`
  );
}

/** `countersign intel import|list|load|remove`: the intel folder the CLI matches against. */
export function registerIntelCommand(program: Command): void {
  const intel = program
    .command('intel')
    .description('manage threat intel: IOC lists, OSV advisories, YARA rules, bundled packs');
  const dirOption = () =>
    new Option(
      '--intel-dir <dir>',
      'intel folder (default: $COUNTERSIGN_HOME/intel or ~/.countersign/intel)',
    );

  intel
    .command('import')
    .description(
      'import an IOC list (text, CSV, STIX 2.1, MISP), OSV records (file, folder, all.zip) or YARA rules',
    )
    .argument('<path>', 'file or folder to import')
    .requiredOption('--name <name>', 'name of the source (importing a name again replaces it)')
    .addOption(
      new Option('--type <kind>', 'what the input is (default: from the input)').choices([
        'ioc',
        'osv',
        'yara',
      ]),
    )
    .addOption(
      new Option('--format <format>', 'IOC file format (default: from the content)').choices([
        ...IOC_FORMATS,
      ]),
    )
    .option(
      '--column <role=column...>',
      'CSV column map, e.g. value=indicator type=kind (names or 0-based numbers)',
    )
    .option('--tag <tag>', 'tag added to every indicator (repeatable)', collect)
    .option('--strict', 'fail on the first item that cannot be imported')
    .addOption(dirOption())
    .action(
      async (
        path: string,
        flags: StoreFlags & {
          name: string;
          type?: 'ioc' | 'osv' | 'yara';
          format?: IocFormat;
          column?: string[];
          tag?: string[];
          strict?: boolean;
        },
      ) => {
        const columns = flags.column
          ? Object.fromEntries(
              flags.column.map((pair) => {
                const [role, column = ''] = pair.split('=');
                return [role, /^\d+$/.test(column) ? Number(column) : column];
              }),
            )
          : undefined;
        const summary = await importIntelSource(path, {
          ...storeOf(flags),
          name: flags.name,
          ...(flags.type ? { kind: flags.type } : {}),
          ...(flags.strict ? { strict: true } : {}),
          ioc: {
            ...(flags.format ? { format: flags.format } : {}),
            ...(columns ? { columns: columns as never } : {}),
            ...(flags.tag ? { tags: flags.tag } : {}),
          },
        });
        process.stdout.write(`imported into ${intelDir(storeOf(flags))}\n${describeSummary(summary)}`);
        if (summary.rejected > 0) {
          process.stderr.write(
            `countersign: ${summary.rejected} item(s) could not be imported (listed in the stored source; --strict refuses them)\n`,
          );
        }
      },
    );

  intel
    .command('list')
    .description('list the imported intel sources with origin, fetched-at and counts')
    .option('--json', 'JSON output')
    .addOption(dirOption())
    .action(async (flags: StoreFlags & { json?: boolean }) => {
      const sources = await listIntelSources(storeOf(flags));
      if (flags.json) process.stdout.write(`${JSON.stringify(sources, null, 2)}\n`);
      else if (sources.length === 0) {
        process.stdout.write(
          `no intel in ${intelDir(storeOf(flags))} (try: countersign intel load 3cx, countersign intel import <file> --name <n>)\n`,
        );
      } else process.stdout.write(sources.map(describeSummary).join(''));
    });

  intel
    .command('load')
    .description(`install an intel pack shipped with Countersign (${BUNDLED_PACKS.join(', ')})`)
    .argument('<pack>', 'pack id')
    .addOption(dirOption())
    .action(async (pack: string, flags: StoreFlags) => {
      const summary = await installIntelPack(pack, storeOf(flags));
      process.stdout.write(`installed into ${intelDir(storeOf(flags))}\n${describeSummary(summary)}`);
    });

  intel
    .command('remove')
    .description('remove an imported intel source')
    .argument('<name>', 'source name')
    .addOption(dirOption())
    .action(async (name: string, flags: StoreFlags) => {
      if (!(await removeIntelSource(name, storeOf(flags)))) {
        process.stderr.write(`countersign: no intel source named ${name}\n`);
        process.exitCode = EXIT.usage;
      }
    });
}
