import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { BASH_BOOTSTRAP } from '../../../functions/layers/bash-runtime/bootstrap';
import { NODE_BOOTSTRAP, NODE_RUNTIME_DIR } from '../../../functions/layers/node-runtime/bootstrap';
import { NODE_RUNTIME_CLIENT } from '../../../functions/layers/node-runtime/runtime-client';

/** A Node.js runtime layer folder whose `node` is this machine's own binary: the runtime client under test. */
export async function hostNodeLayer(dir: string): Promise<string> {
  await fs.mkdir(path.join(dir, NODE_RUNTIME_DIR, 'bin'), { recursive: true });
  await fs.writeFile(path.join(dir, 'bootstrap'), NODE_BOOTSTRAP, { mode: 0o755 });
  await fs.writeFile(path.join(dir, NODE_RUNTIME_DIR, 'runtime.js'), NODE_RUNTIME_CLIENT);
  await fs.symlink(process.execPath, path.join(dir, NODE_RUNTIME_DIR, 'bin', 'node'));
  return dir;
}

/** A Bash runtime layer folder holding the bootstrap lamina builds. */
export async function bashLayer(dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'bootstrap'), BASH_BOOTSTRAP, { mode: 0o755 });
  return dir;
}

/** Writes files (name → content) under `dir`. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content, { mode: name.endsWith('.sh') || name === 'bootstrap' ? 0o755 : 0o644 });
  }
  return dir;
}

export interface TarEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice';
  body?: string | Buffer;
  linkpath?: string;
  mode?: number;
}

/**
 * Builds a .tar.gz byte for byte from raw headers, so a test can put in what a careful archiver never would
 * (entries climbing out with `..`, absolute names, links pointing outside).
 */
export function tarGz(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const type = entry.type ?? 'File';
    const header = new Header({
      path: entry.path,
      mode: entry.mode ?? (type === 'Directory' ? 0o755 : 0o644),
      size: type === 'File' ? body.length : 0,
      mtime: new Date(0),
      type,
      linkpath: entry.linkpath,
      uid: 0,
      gid: 0,
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block);
    if (type === 'File' && body.length > 0) {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

export interface FixtureServer {
  url: string;
  /** Request paths served so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Serves fixed bodies by path on 127.0.0.1 (404 for anything else). */
export async function serveFixtures(routes: Record<string, Buffer | string | ((url: string) => Buffer | string)>): Promise<FixtureServer> {
  const requests: string[] = [];
  let base = '';
  const server = http.createServer((request, response) => {
    const route = (request.url ?? '/').split('?')[0];
    requests.push(route);
    const found = routes[route];
    if (found === undefined) {
      response.writeHead(404).end('not found');
      return;
    }
    const body = typeof found === 'function' ? found(base) : found;
    response.writeHead(200).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
