// A real HTTP server for a model directory, recording every request and optionally altering files in transit.
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

export async function serveDirectory(dir: string): Promise<ModelServer> {
  const requests: string[] = [];
  const alter = new Map<string, (bytes: Buffer) => Buffer>();
  const server: Server = createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(1);
    requests.push(rel);
    readFile(path.join(dir, rel)).then(
      (bytes) => {
        const body = alter.get(rel)?.(bytes) ?? bytes;
        res.writeHead(200, { 'content-length': body.length }).end(body);
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
