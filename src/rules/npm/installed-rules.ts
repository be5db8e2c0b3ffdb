import type { Evidence } from '../../core/findings.js';
import type { ReleaseRule } from '../evaluate.js';
import { compareInstalled, type FieldDifference, type InstalledDifference } from './installed-packages.js';

const NPM_LOCKFILE = 'https://docs.npmjs.com/cli/v11/configuring-npm/package-lock-json';
const NPM_CI = 'https://docs.npmjs.com/cli/v11/commands/npm-ci';

function shown(field: FieldDifference, value: string): string {
  return field.field === 'integrity' && value.length > 27 ? `${value.slice(0, 24)}...` : value;
}

function describe(difference: InstalledDifference): string {
  const { locked, fields } = difference;
  const where = `${locked.path}${locked.alias ? ` (alias ${locked.alias})` : ''}`;
  const parts = fields.map(
    (field) => `${field.field} ${shown(field, field.actual)} (locked: ${shown(field, field.expected)})`,
  );
  return `${where}: the lockfile pins ${locked.name}@${locked.version}, the install holds ${parts.join(', ')}`;
}

function evidenceOf(difference: InstalledDifference, lockfilePath: Evidence['node']): Evidence[] {
  const { locked, installed, hiddenLockfile, fields } = difference;
  const byField = (name: FieldDifference['field']) => fields.find((field) => field.field === name);
  const manifestFields = fields.filter((field) => field.field !== 'integrity');
  const integrity = byField('integrity');
  return [
    {
      role: 'primary',
      node: installed.path,
      snippet: (manifestFields.length > 0
        ? manifestFields.map((field) => `"${field.field}": ${JSON.stringify(field.actual)}`).join(', ')
        : `"name": ${JSON.stringify(locked.name)}, "version": ${JSON.stringify(locked.version)}`
      ).slice(0, 200),
    },
    ...(integrity && hiddenLockfile
      ? [
          {
            role: 'supporting' as const,
            node: hiddenLockfile.path,
            snippet: `"${locked.path}": { "integrity": ${JSON.stringify(integrity.actual)} }`.slice(0, 200),
          },
        ]
      : []),
    {
      role: 'supporting',
      node: lockfilePath,
      snippet: `"${locked.path}": { ${fields
        .map((field) => `"${field.field}": ${JSON.stringify(field.expected)}`)
        .join(', ')} }`.slice(0, 200),
    },
  ];
}

export const npmLockfileInstalledMismatch: ReleaseRule = {
  id: 'npm.lockfile.installed-mismatch',
  // 3: pnpm installs are compared by integrity too.
  version: 3,
  title: 'An installed package is not the one the lockfile pins',
  identifies: 'threat.npm.installed-mismatch',
  severity: 'medium',
  confidence: 'medium',
  scope: 'release',
  rationale:
    "A review of the lockfile vouches for the versions and tarball digests it pins, but the code that runs is what the install holds. A package whose name, version or integrity differs was installed from another lockfile, changed after install, or planted there: what was reviewed is not what runs. npm lockfiles are compared by install path, and the integrity of what npm unpacked comes from its record of the install, node_modules/.package-lock.json; pnpm's by its store folders (node_modules/.pnpm/<name>@<version>), with the integrity from pnpm's record of the install, node_modules/.pnpm/lock.yaml; yarn's, which name no install paths, by name and version wherever node_modules (or, for Plug'n'Play, the zips in .yarn/cache) holds a package.",
  remediation:
    'Reinstall from the lockfile (`npm ci`, `pnpm install --frozen-lockfile`, `yarn install --immutable`) and scan again; if the difference stays, find out who changed the package or the lockfile.',
  references: [NPM_LOCKFILE, NPM_CI],
  *evaluate({ nodes }) {
    for (const project of compareInstalled(nodes)) {
      for (const difference of project.differences) {
        yield {
          path: difference.installed.path,
          message: describe(difference),
          evidence: evidenceOf(difference, project.lockfile.path),
        };
      }
    }
  },
};
