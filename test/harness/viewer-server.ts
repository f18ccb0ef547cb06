// One loopback origin for the whole viewer: the stock OHIF dist, our generated app-config.js, our bundles at /ext/,
// model files at /models/ (an empty registry index when models/registry has none yet, so the panel reports "no
// model" without a 404 in the console), and /dicom-web + /wado proxied to Orthanc (Orthanc sends no CORS headers). Every
// response carries COOP same-origin + COEP require-corp so the page is cross-origin isolated (SharedArrayBuffer
// for threaded WASM inference).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appConfigSource, type AppConfigOptions } from './app-config.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OHIF_VERSION = '3.13.2';
export const OHIF_DIST = path.join(REPO_ROOT, '.cache', 'ohif', OHIF_VERSION, 'dist');
export const EXT_DIST = path.join(REPO_ROOT, 'dist', 'ext');
export const MODELS_DIR = path.join(REPO_ROOT, 'models', 'registry');

export interface ViewerServerOptions {
  /** Orthanc's base URL, e.g. http://127.0.0.1:40123 (its /dicom-web and /wado are proxied). */
  orthancUrl: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  ohifDist?: string;
  extDist?: string;
  modelsDir?: string;
  /** Options of the generated app-config.js. */
  appConfig?: AppConfigOptions;
}

export interface ViewerServer {
  /** e.g. http://127.0.0.1:40124 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.mjs': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.gif': 'image/gif',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.webmanifest': 'application/manifest+json',
};

/** Content type for a file name; unknown types (ONNX, raw weights) are binary. */
export function mimeType(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const EMPTY_REGISTRY = JSON.stringify({ models: [] });

const PROXIED = [/^\/dicom-web(\/|$)/, /^\/wado(\/|\?|$)/];

/** Resolves a URL path under a root folder, or undefined when it would escape the root. */
function within(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined; // malformed %-escape: no such file
  }
  // The root may be relative (CONTSEG_E2E_REGISTRY=models/registry): compare absolute paths.
  const base = path.resolve(root);
  const file = path.resolve(base, '.' + path.posix.normalize(decoded));
  return file === base || file.startsWith(base + path.sep) ? file : undefined;
}

async function isFile(file: string | undefined): Promise<boolean> {
  return file !== undefined && (await stat(file).catch(() => undefined))?.isFile() === true;
}

function send(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8') {
  res.writeHead(status, { ...ISOLATION_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

async function sendFile(req: http.IncomingMessage, res: http.ServerResponse, file: string, cache: string) {
  const info = await stat(file);
  res.writeHead(200, {
    ...ISOLATION_HEADERS,
    'Content-Type': mimeType(file),
    'Content-Length': info.size,
    'Cache-Control': cache,
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
}

function proxy(req: http.IncomingMessage, res: http.ServerResponse, target: URL) {
  const host = req.headers.host ?? '';
  // Orthanc's DICOMweb plugin builds BulkDataURI/RetrieveURL from the Host header: keep the viewer's origin.
  const upstream = http.request(
    {
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host, forwarded: `host=${host};proto=http` },
    },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, { ...upstreamRes.headers, ...ISOLATION_HEADERS });
      upstreamRes.pipe(res);
    },
  );
  upstream.on('error', (err) => {
    if (!res.headersSent) send(res, 502, `PACS unreachable: ${err.message}`);
    else res.destroy(err);
  });
  req.pipe(upstream);
}

/** Starts the viewer server on 127.0.0.1. */
export async function startViewerServer(options: ViewerServerOptions): Promise<ViewerServer> {
  const ohifDist = options.ohifDist ?? OHIF_DIST;
  const extDist = options.extDist ?? EXT_DIST;
  const modelsDir = options.modelsDir ?? MODELS_DIR;
  if (!(await isFile(path.join(ohifDist, 'index.html')))) {
    throw new Error(
      `no OHIF viewer at ${ohifDist}: run \`bash .ci/setup\` (it fetches @ohif/app@${OHIF_VERSION})`,
    );
  }
  if (!(await isFile(path.join(extDist, 'extension-organ-tumour-ai.js')))) {
    throw new Error(`no extension bundle in ${extDist}: run \`npx webpack --mode production\``);
  }
  const target = new URL(options.orthancUrl);
  const appConfig = appConfigSource(options.appConfig);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const urlPath = new URL(req.url ?? '/', 'http://viewer').pathname;
    if (PROXIED.some((re) => re.test(urlPath))) return proxy(req, res, target);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
    if (urlPath === '/app-config.js') return send(res, 200, appConfig, MIME['.js']);
    for (const [prefix, root] of [
      ['/ext/', extDist],
      ['/models/', modelsDir],
    ] as const) {
      if (urlPath.startsWith(prefix)) {
        const file = within(root, urlPath.slice(prefix.length - 1));
        if (await isFile(file)) return sendFile(req, res, file!, 'no-cache');
        if (urlPath === '/models/index.json') return send(res, 200, EMPTY_REGISTRY, MIME['.json']);
        return send(res, 404, `not found: ${urlPath}`);
      }
    }
    const file = within(ohifDist, urlPath);
    if (await isFile(file)) return sendFile(req, res, file!, 'no-cache');
    // SPA: routes like /organ-tumour-ai?StudyInstanceUIDs=... are the viewer's; missing files are real 404s.
    if (path.extname(urlPath) === '')
      return sendFile(req, res, path.join(ohifDist, 'index.html'), 'no-cache');
    return send(res, 404, `not found: ${urlPath}`);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, err.message);
      else res.destroy(err);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('viewer server has no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
