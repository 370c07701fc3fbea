import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as semver from 'semver';
import { tarGz, type TarEntry } from '../../runtimes/support/fixtures';

/** One package version of the fixture registry: its package.json fields and its files (besides package.json). */
export interface FixturePackage {
  name: string;
  version: string;
  files?: Record<string, string | Buffer>;
  /** File modes by name (default 0644). */
  modes?: Record<string, number>;
  manifest?: Record<string, unknown>;
  /** Serve a tarball that does not match the integrity the packument records. */
  tamper?: boolean;
  /** Raw tar entries after the files, named in full (`package/...`): links, folders, devices, odd paths. */
  entries?: TarEntry[];
}

export interface FixtureRegistry {
  /** Registry URL with a trailing slash, as npm writes it. */
  url: string;
  /** Request paths, in order. */
  requests: string[];
  tarballOf(name: string, version: string): Buffer;
  close(): Promise<void>;
}

function tarballName(name: string, version: string): string {
  return `${name.split('/').pop()}-${version}.tgz`;
}

/** The tarball npm would pack: every entry under `package/`, package.json first. */
export function packTarball(pkg: FixturePackage): Buffer {
  const manifest = { name: pkg.name, version: pkg.version, ...pkg.manifest };
  const entries: TarEntry[] = [{ path: 'package/package.json', body: `${JSON.stringify(manifest, null, 2)}\n` }];
  for (const [file, body] of Object.entries(pkg.files ?? {})) {
    entries.push({ path: `package/${file}`, body, mode: pkg.modes?.[file] });
  }
  return tarGz([...entries, ...(pkg.entries ?? [])]);
}

/**
 * An npm registry on 127.0.0.1 serving generated packages: packuments (with dist.tarball, dist.integrity and the
 * package.json fields npm resolves with) and tarballs, scoped names included. Also `node-linux-<arch>` packuments for
 * the Node.js lines lamina checks engines against (their tarballs are never fetched by these tests).
 */
export async function serveRegistry(packages: FixturePackage[], nodeVersions: string[] = ['18.99.0', '20.99.0', '22.99.0', '24.99.0']): Promise<FixtureRegistry> {
  const requests: string[] = [];
  const tarballs = new Map<string, Buffer>();
  const packuments = new Map<string, { name: string; 'dist-tags': Record<string, string>; versions: Record<string, unknown> }>();
  let base = '';
  const all: FixturePackage[] = [
    ...packages,
    ...['x64', 'arm64'].flatMap((arch) => nodeVersions.map((version) => ({ name: `node-linux-${arch}`, version, files: { 'bin/node': 'not a real node' } }))),
  ];
  const server = http.createServer((request, response) => {
    const route = decodeURIComponent((request.url ?? '/').split('?')[0]);
    requests.push(route);
    const tarball = tarballs.get(route);
    if (tarball) {
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tarball);
      return;
    }
    const packument = packuments.get(route.slice(1));
    if (packument) {
      const body = JSON.stringify(packument).replace(/__REGISTRY__/g, base);
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  for (const pkg of all) {
    const bytes = packTarball(pkg);
    const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    const path = `/${pkg.name}/-/${tarballName(pkg.name, pkg.version)}`;
    tarballs.set(path, pkg.tamper ? Buffer.concat([bytes, Buffer.alloc(16)]) : bytes);
    const doc = packuments.get(pkg.name) ?? { name: pkg.name, 'dist-tags': {}, versions: {} };
    doc.versions[pkg.version] = {
      name: pkg.name,
      version: pkg.version,
      ...pkg.manifest,
      dist: { tarball: `__REGISTRY__${path}`, integrity, shasum: createHash('sha1').update(bytes).digest('hex') },
    };
    const latest = doc['dist-tags'].latest;
    if (!latest || semver.gt(pkg.version, latest)) doc['dist-tags'].latest = pkg.version;
    packuments.set(pkg.name, doc);
  }
  return {
    url: `${base}/`,
    requests,
    tarballOf: (name, version) => tarballs.get(`/${name}/-/${tarballName(name, version)}`)!,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
