import { createReadStream, promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { normalizeName } from '../../../functions/layers/python/pep508';
import { htmlPage, jsonPage, projectFiles, type FixtureIndex } from './fixture-index';

/**
 * A Simple Repository API server on 127.0.0.1 over a generated fixture index: `/simple/<project>/` answers PEP 691
 * JSON or PEP 503 HTML by content negotiation, `/files/<name>` serves files and `<name>.metadata` their PEP 658
 * metadata. Knobs let tests make it HTML-only, throttle (429/503) the first requests, or publish wrong hashes.
 */

export interface IndexServerOptions {
  /** Ignore the Accept header and always answer HTML (an index without PEP 691). */
  htmlOnly?: boolean;
  /** Answer this many requests to each path with this status before serving it. */
  failFirst?: { count: number; status: number };
  /** Publish this sha256 for these files instead of the real one. */
  wrongHashes?: Record<string, string>;
}

export interface IndexServer {
  /** The Simple API root, ending in `/simple/`. */
  url: string;
  /** Every request path, in order. */
  requests: string[];
  /** Every project page served, with its format. */
  pages: Array<{ project: string; format: 'json' | 'html' }>;
  options: IndexServerOptions;
  close(): Promise<void>;
}

/** Starts the server on a free port of 127.0.0.1. */
export async function startIndexServer(index: FixtureIndex, options: IndexServerOptions = {}): Promise<IndexServer> {
  const projects = projectFiles(index);
  const requests: string[] = [];
  const pages: IndexServer['pages'] = [];
  const failures = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const pathname = decodeURIComponent(url.pathname);
    requests.push(pathname);
    const failFirst = state.options.failFirst;
    if (failFirst) {
      const seen = failures.get(pathname) ?? 0;
      if (seen < failFirst.count) {
        failures.set(pathname, seen + 1);
        res.writeHead(failFirst.status, { 'retry-after': '0' });
        res.end('try again');
        return;
      }
    }
    const project = /^\/simple\/([^/]+)\/?$/.exec(pathname);
    if (project) {
      const key = normalizeName(project[1]);
      const names = projects.get(key);
      if (!names) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
        return;
      }
      if (project[1] !== key || !pathname.endsWith('/')) {
        res.writeHead(301, { location: `/simple/${key}/` });
        res.end();
        return;
      }
      const wantsJson = !state.options.htmlOnly && (req.headers.accept ?? '').includes('application/vnd.pypi.simple.v1+json');
      const hashes = state.options.wrongHashes ?? {};
      pages.push({ project: key, format: wantsJson ? 'json' : 'html' });
      if (wantsJson) {
        res.writeHead(200, { 'content-type': 'application/vnd.pypi.simple.v1+json' });
        res.end(jsonPage(key, names, index.files, '../../files/', hashes));
      } else {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(htmlPage(key, names, index.files, '../../files/', hashes));
      }
      return;
    }
    if (pathname === '/simple/' || pathname === '/simple') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end([...projects.keys()].map((k) => `<a href="${k}/">${k}</a>`).join('\n'));
      return;
    }
    const file = /^\/files\/([^/]+)$/.exec(pathname);
    if (file) {
      const full = path.join(index.filesDir, file[1]);
      fs.stat(full).then(
        (stat) => {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(stat.size) });
          createReadStream(full).pipe(res);
        },
        () => {
          res.writeHead(404);
          res.end('no such file');
        },
      );
      return;
    }
    res.writeHead(404);
    res.end('not found');
  });
  const state = { options };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/simple/`,
    requests,
    pages,
    get options() {
      return state.options;
    },
    set options(value: IndexServerOptions) {
      state.options = value;
      failures.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
