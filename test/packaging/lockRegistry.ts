import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * An npm registry on 127.0.0.1 that knows exactly the packages of a lock file, plus tarballs given to it.
 *
 * Installing packed tarballs into an empty project needs a registry for their dependencies, and tests may not use
 * the network. The lock file already says which versions exist and their integrity, and `npm install` left their
 * tarballs in npm's content-addressed cache (`<cache>/_cacache/content-v2/<algo>/<hex>`), so this serves packuments
 * made from the lock and tarballs read from the cache. A package the lock does not know gets a 404, and is listed in
 * `missing`, so an undeclared dependency fails the install instead of being fetched from somewhere.
 */
export interface LockRegistry {
  readonly url: string;
  /** Package names asked for that the registry does not have. */
  readonly missing: string[];
  close(): Promise<void>;
}

interface Manifest {
  name: string;
  version: string;
  dist: { tarball: string; integrity: string };
  [field: string]: unknown;
}

/** Fields of a lock entry that npm needs in a version's manifest to build the tree. */
const ManifestFields = ['dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines', 'os', 'cpu', 'libc', 'license', 'deprecated'];

export interface ExtraPackage {
  /** The package.json the tarball was packed from. */
  readonly manifest: Record<string, unknown> & { name: string; version: string };
  readonly tarball: string;
}

export async function lockRegistry(options: { lockFile: string; npmCache: string; extra?: readonly ExtraPackage[] }): Promise<LockRegistry> {
  const lock = JSON.parse(await readFile(options.lockFile, 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const packuments = new Map<string, Map<string, Manifest>>();
  /** Tarball path on this server → where its bytes are. */
  const tarballs = new Map<string, { integrity: string; file?: string }>();
  const add = (name: string, version: string, fields: Record<string, unknown>, integrity: string, file?: string): void => {
    const path = `/-/tarball/${tarballs.size}.tgz`;
    tarballs.set(path, file === undefined ? { integrity } : { integrity, file });
    const manifest: Manifest = { name, version, dist: { tarball: path, integrity } };
    for (const field of ManifestFields) if (fields[field] !== undefined) manifest[field] = fields[field];
    const versions = packuments.get(name) ?? new Map<string, Manifest>();
    versions.set(version, manifest);
    packuments.set(name, versions);
  };
  for (const [where, entry] of Object.entries(lock.packages)) {
    const at = where.lastIndexOf('node_modules/');
    if (at < 0 || entry.link === true) continue;
    const name = (entry.name as string | undefined) ?? where.slice(at + 'node_modules/'.length);
    if (typeof entry.version !== 'string' || typeof entry.integrity !== 'string') continue;
    add(name, entry.version, entry, entry.integrity);
  }
  for (const extra of options.extra ?? []) {
    const bytes = await readFile(extra.tarball);
    const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    add(extra.manifest.name, extra.manifest.version, extra.manifest, integrity, extra.tarball);
  }

  const missing: string[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const tarball = tarballs.get(path);
    const send = (status: number, body: Buffer | string, type: string): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (tarball) {
      readTarball(options.npmCache, tarball).then(
        (bytes) => send(200, bytes, 'application/octet-stream'),
        (error: unknown) => send(500, `tarball ${path}: ${(error as Error).message}`, 'text/plain'),
      );
      return;
    }
    const name = path.slice(1);
    const versions = packuments.get(name);
    if (!versions) {
      missing.push(name);
      return send(404, JSON.stringify({ error: `${name} is not in the lock file` }), 'application/json');
    }
    const all = [...versions.values()].map((m) => ({ ...m, dist: { ...m.dist, tarball: base + m.dist.tarball } }));
    const latest = all.map((m) => m.version).filter((v) => !v.includes('-')).sort(compareVersions).at(-1) ?? all[0]!.version;
    send(200, JSON.stringify({ name, 'dist-tags': { latest }, versions: Object.fromEntries(all.map((m) => [m.version, m])) }), 'application/json');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/`,
    missing,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readTarball(npmCache: string, tarball: { integrity: string; file?: string }): Promise<Buffer> {
  if (tarball.file !== undefined) return readFile(tarball.file);
  const [algo, digest] = tarball.integrity.split(/-(.*)/s) as [string, string];
  const hex = Buffer.from(digest, 'base64').toString('hex');
  const path = join(npmCache, '_cacache', 'content-v2', algo, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
  try {
    return await readFile(path);
  } catch {
    throw new Error(`not in npm's cache (${path}); run npm install first`);
  }
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}
