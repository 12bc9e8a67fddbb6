// Static checks of what the packages and the lock file declare; the tarball test shows the consequences.
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BuiltinPlugins } from '@switchboard/core';
import { describe, expect, it } from 'vitest';
import { imports, sourceFiles } from './imports.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const packages = ['core', 'relay', 'ops', 'store-redis', 'adapter-qq', 'adapter-wechat', 'cli'];

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const manifest = async (dir: string): Promise<Manifest> => JSON.parse(await readFile(join(root, dir, 'package.json'), 'utf8')) as Manifest;

const packageOf = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
const builtin = (specifier: string): boolean => specifier.startsWith('node:') || builtinModules.includes(specifier);

describe('package manifests', () => {
  it.each(packages)('%s declares every package its sources import, and imports every dependency it declares', async (pkg) => {
    const m = await manifest(`packages/${pkg}`);
    const declared = new Set([...Object.keys(m.dependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})]);
    const imported = new Set<string>();
    for (const file of await sourceFiles(join(root, 'packages', pkg, 'src'))) {
      for (const specifier of imports(file, await readFile(file, 'utf8'))) {
        if (specifier.startsWith('.') || builtin(specifier)) continue;
        imported.add(packageOf(specifier));
      }
    }
    expect([...imported].filter((name) => !declared.has(name)).sort(), 'imported but not declared').toEqual([]);
    // The CLI ships the built-in plugins that the core imports by name when a config file uses them.
    if (pkg === 'cli') for (const name of [...Object.values(BuiltinPlugins.adapters), ...Object.values(BuiltinPlugins.sections), ...Object.values(BuiltinPlugins.stores)]) imported.add(name);
    // Type packages are there for the declarations we publish (they mention ws's types).
    expect([...declared].filter((name) => !imported.has(name) && !name.startsWith('@types/')).sort(), 'declared but never imported').toEqual([]);
  });

  it.each(packages.filter((p) => p !== 'cli' && p !== 'core'))('%s takes the core and rxjs from its host, as peer dependencies', async (pkg) => {
    const m = await manifest(`packages/${pkg}`);
    expect(Object.keys(m.peerDependencies ?? {})).toEqual(expect.arrayContaining(['@switchboard/core', 'rxjs']));
    expect(m.dependencies?.['@switchboard/core']).toBeUndefined();
    expect(m.dependencies?.rxjs).toBeUndefined();
  });
});

describe('engines', () => {
  const floor = (range: string | undefined): number[] => (/^>=(\d+)\.(\d+)(?:\.(\d+))?$/.exec(range ?? '') ?? []).slice(1).map((n) => Number(n ?? 0));
  const below = (a: number[], b: number[]): boolean => {
    for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
    return false;
  };
  it.each(packages)('%s asks for at least the Node version its own packages need', async (pkg) => {
    const m = (await manifest(`packages/${pkg}`)) as Manifest & { engines?: { node?: string } };
    expect(floor(m.engines?.node), `${pkg} engines.node is ">=x.y.z"`).toHaveLength(3);
    for (const dep of [...Object.keys(m.dependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})].filter((d) => d.startsWith('@switchboard/'))) {
      const other = (await manifest(`packages/${dep.slice('@switchboard/'.length)}`)) as Manifest & { engines?: { node?: string } };
      expect(below(floor(m.engines?.node), floor(other.engines?.node)), `${pkg} (${m.engines?.node}) needs ${dep} (${other.engines?.node})`).toBe(false);
    }
  });
});

describe('package-lock.json', () => {
  it('is in step with every package.json of the workspace', async () => {
    const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, Manifest> };
    for (const dir of ['', ...packages.map((p) => `packages/${p}`)]) {
      const m = await manifest(dir);
      const entry = lock.packages[dir]!;
      for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'] as const) {
        expect(entry[field] ?? {}, `${dir || 'root'} ${field}`).toEqual(m[field] ?? {});
      }
    }
  });

  it('holds every optional dependency of every locked package, for every platform', async () => {
    // npm can drop the optional native packages of other platforms from a lock it rewrites over an existing
    // node_modules (npm/cli#4828); a contributor on another OS or CPU would then miss the binary.
    const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, Manifest> };
    /** Where node would find `name` from a package at `where`: its own node_modules, then each parent's. */
    const resolves = (where: string, name: string): boolean => {
      let dir = where;
      for (;;) {
        if (lock.packages[`${dir ? `${dir}/` : ''}node_modules/${name}`]) return true;
        if (dir === '') return false;
        const up = dir.lastIndexOf('/node_modules/');
        dir = up < 0 ? '' : dir.slice(0, up);
      }
    };
    const missing: string[] = [];
    for (const [where, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) if (!resolves(where, name)) missing.push(`${where || 'root'} → ${name}`);
    }
    expect(missing).toEqual([]);
  });
});
