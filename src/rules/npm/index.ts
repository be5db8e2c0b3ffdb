import type { ScanRule } from '../evaluate.js';
import { NPM_INSTALL_SCRIPT_RULES } from './install-script-rules.js';
import { npmLockfileInstalledMismatch } from './installed-rules.js';
import { NPM_MANIFEST_RULES } from './manifest-rules.js';
import {
  createNpmPackageLargeFileRule,
  type NpmPackageRuleSettings,
  npmPackageNativeBinary,
} from './package-rules.js';

/** Every scan rule over npm package facts: capabilities first, then threats. */
export function npmRules(settings: NpmPackageRuleSettings = {}): ScanRule[] {
  return [
    ...NPM_INSTALL_SCRIPT_RULES,
    npmPackageNativeBinary,
    createNpmPackageLargeFileRule(settings),
    ...NPM_MANIFEST_RULES,
    npmLockfileInstalledMismatch,
  ];
}
