// A real HTTP server for model directories (and, for the browser test, a page and ORT's files), recording every
// request and optionally altering files in transit. Pages are cross-origin isolated (COOP/COEP) so WASM threads work.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface ModelServer {
  url: string;
  requests: string[];
  /** Rewrites the body of a path before sending (e.g. flip a byte, cut it short). */
  alter: Map<string, (bytes: Buffer) => Buffer>;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** Serves each directory under its URL prefix ('' = the root); the longest matching prefix wins. */
export async function serveDirectories(mounts: Record<string, string>): Promise<ModelServer> {
  const requests: string[] = [];
  const alter = new Map<string, (bytes: Buffer) => Buffer>();
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server: Server = createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(1);
    requests.push(rel);
    const prefix = prefixes.find((p) => rel.startsWith(p)) ?? '';
    const file = path.join(mounts[prefix] ?? '', rel.slice(prefix.length));
    readFile(file).then(
      (bytes) => {
        const body = alter.get(rel)?.(bytes) ?? bytes;
        res
          .writeHead(200, {
            'content-length': body.length,
            'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
            'cross-origin-opener-policy': 'same-origin',
            'cross-origin-embedder-policy': 'require-corp',
          })
          .end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    alter,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export const serveDirectory = (dir: string) => serveDirectories({ '': dir });
