/**
 * The checker behind tests/unit/architecture.test.ts: given source files (path + text) and the
 * rules (the test's tables), every import that breaks a rule, named by file, line and specifier.
 * It is pure (no file system), so a test can feed it a fake file list and see it fail.
 *
 * An area is the first folder under src/ (`src/main.ts`, the app's entry, counts as `app`).
 * Relative imports are resolved against the importing file; a query (`?url`, `?worker`) is
 * dropped first. A package is named by its first path segment (two when scoped). Node builtins
 * are recognised with or without the `node:` prefix. An area missing from the layer table is
 * itself an error, so a new folder under src/ must be placed on a floor before it can be used.
 */
import { readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import { scanImports, type ImportRef } from './imports';

export interface SourceFile {
  /** Repository-relative, '/'-separated, e.g. 'src/io/dicom/parse.ts'. */
  path: string;
  text: string;
}

export interface PackageRule {
  /** How messages name the package family, e.g. 'Cornerstone3D'. */
  what: string;
  matches(pkg: string): boolean;
  /** Paths that may import it: a folder ending in '/' or one file. */
  only: readonly string[];
}

export interface Exception {
  file: string;
  specifier: string;
  reason: string;
}

export interface Rules {
  /** Per area, the other areas it may import (its own is always allowed). */
  layers: Readonly<Record<string, readonly string[]>>;
  packages: readonly PackageRule[];
  /** Areas that may import no package at all (src/core). */
  noPackages: readonly string[];
  /** Relative imports that may leave src/: from a path (prefix) to a repository file. */
  outsideSrc: readonly { from: string; to: string }[];
  /** Imports that break a rule today and are let through by name, each with why. */
  exceptions: readonly Exception[];
}

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  message: string;
}

export interface CheckResult {
  violations: Violation[];
  /** Exceptions no file needs any more (they should be deleted). */
  unusedExceptions: Exception[];
}

/** `src/<area>/…` → area; `src/main.ts` → 'app'; anything outside src/ → null. */
export function areaOf(path: string): string | null {
  const parts = path.split('/');
  if (parts[0] !== 'src' || parts.length < 2) return null;
  if (parts.length === 2) {
    const name = parts[1].replace(/\.(ts|js|svelte)$/, '');
    return name === 'main' ? 'app' : name;
  }
  return parts[1];
}

export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const BUILTINS = new Set(builtinModules);

export function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(packageName(specifier));
}

export function pathAllowed(file: string, only: readonly string[]): boolean {
  return only.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p));
}

/** Why `ref` in `file` breaks a rule, or null when it keeps them all. */
function breach(file: string, area: string, ref: ImportRef, rules: Rules): string | null {
  const spec = ref.specifier.replace(/\?.*$/, '');
  if (spec.startsWith('.')) {
    const target = posix.normalize(posix.join(posix.dirname(file), spec));
    const to = areaOf(target);
    if (to === null) {
      const ok = rules.outsideSrc.some((o) => file.startsWith(o.from) && target === o.to);
      return ok ? null : `reaches outside src/ (${target})`;
    }
    if (to === area) return null;
    const allowed = rules.layers[area] ?? [];
    if (!(to in rules.layers)) return `src/${to} is not in the layer table`;
    return allowed.includes(to) ? null : `${area} may not import ${to} (allowed: ${allowed.join(', ') || 'nothing'})`;
  }
  if (spec.startsWith('/')) return 'absolute import path';
  if (rules.noPackages.includes(area)) return `${area} imports no package`;
  const pkg = packageName(spec);
  for (const rule of rules.packages) {
    if (rule.matches(spec) && !pathAllowed(file, rule.only))
      return `${rule.what} (${pkg}) only in ${rule.only.join(', ')}`;
  }
  return null;
}

export function checkImports(files: readonly SourceFile[], rules: Rules): CheckResult {
  const violations: Violation[] = [];
  const used = new Set<Exception>();
  for (const { path, text } of files) {
    const area = areaOf(path);
    if (area === null) continue;
    if (!(area in rules.layers)) {
      violations.push({
        file: path,
        line: 1,
        specifier: '',
        message: `${path}: src/${area} is not in the layer table`,
      });
      continue;
    }
    for (const ref of scanImports(path, text)) {
      const why = breach(path, area, ref, rules);
      if (!why) continue;
      const exception = rules.exceptions.find((e) => e.file === path && e.specifier === ref.specifier);
      if (exception) {
        used.add(exception);
        continue;
      }
      violations.push({
        file: path,
        line: ref.line,
        specifier: ref.specifier,
        message: `${path}:${ref.line}: ${ref.kind} '${ref.specifier}': ${why}`,
      });
    }
  }
  return { violations, unusedExceptions: rules.exceptions.filter((e) => !used.has(e)) };
}

/** Every .ts / .svelte / .js file under `dir` (repository-relative to `root`), sorted. */
export function listSources(root: string, dir = 'src'): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (/\.(ts|svelte|js|mjs)$/.test(entry.name)) out.push(child);
    }
  };
  walk(dir);
  return out.sort();
}
