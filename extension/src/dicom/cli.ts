// `contseg` command line (Node): segment a CT series from a DICOMweb server and write/store a DICOM SEG.
//
//   contseg segment --dicomweb <url> --study <uid> [--series <uid>] --classes <names> [--model <id|dir|url>]
//                   [--backend wasm|webgpu|node] [--out seg.dcm] [--store] [--json] [--authorization <value>]
//   contseg classes [--model <id|dir|url>] [--json]
//
// Exit codes: 0 done; 2 bad usage or input the pipeline refuses (unknown class, not a CT volume, ...); 1 a failure
// (PACS unreachable, store refused, model or runtime error). Progress goes to stderr, results to stdout.
// The Authorization header comes from --authorization or CONTSEG_AUTHORIZATION and is never printed.
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveClassNames } from '../engine/class-names.ts';
import { EngineError } from '../engine/errors.ts';
import { parseManifest, type Manifest } from '../engine/manifest.ts';
import { loadModel } from '../engine/model.ts';
import { FolderFileCache } from '../engine/node-file-cache.ts';
import type { Progress } from '../engine/segment.ts';
import { nodeCodecWasm } from './codec-wasm-node.ts';
import { DicomWebSource } from './dicomweb.ts';
import { nodeXhr } from './dicomweb-node.ts';
import { DicomError } from './errors.ts';
import { FrameDecoder } from './frame-decode.ts';
import { loadSeriesVolume } from './load-series.ts';
import { segmentCodes } from './seg-codes.ts';
import { writeSegmentation } from './seg-write.ts';
import { storeSegmentation, type StoreOutcome } from './stow.ts';

export const USAGE = `usage:
  contseg segment --dicomweb <url> --study <uid> [--series <uid>] --classes <name,name,...> [--model <id|dir|url>]
                  [--backend wasm|webgpu|node] [--out <seg.dcm>] [--store] [--json] [--authorization <value>]
  contseg classes [--model <id|dir|url>] [--json]
The Authorization header may also come from the CONTSEG_AUTHORIZATION environment variable.
Models are looked up in CONTSEG_MODELS (default: models/registry of this repository).`;

/** Bad usage or input: exit code 2. */
export class UsageError extends Error {}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

const REGISTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../models/registry');

/** file: URLs read from disk (the engine fetches model files by URL). */
const fileAwareFetch: typeof fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : input.toString());
  if (url.protocol !== 'file:') return fetch(input, init);
  try {
    return new Response(await readFile(fileURLToPath(url)));
  } catch {
    return new Response(null, { status: 404, statusText: 'Not Found' });
  }
};

/** The manifest URL of --model: an http(s)/file URL, a directory or manifest path, or an id in the registry. */
export function resolveModel(model: string | undefined, io: CliIo): URL {
  if (model && /^(https?|file):\/\//.test(model)) return new URL(model);
  if (model && (model.includes('/') || model.endsWith('.json'))) {
    const full = path.resolve(io.cwd, model);
    return pathToFileURL(full.endsWith('.json') ? full : path.join(full, 'manifest.json'));
  }
  const registry = io.env.CONTSEG_MODELS ?? REGISTRY;
  const ids = existsSync(registry)
    ? readdirSync(registry).filter((d) => existsSync(path.join(registry, d, 'manifest.json')))
    : [];
  const id = model ?? (ids.length === 1 ? ids[0] : undefined);
  if (!id || !ids.includes(id)) {
    throw new UsageError(
      model
        ? `no model "${model}" in ${registry} (available: ${ids.join(', ') || 'none'})`
        : `choose a model with --model (available in ${registry}: ${ids.join(', ') || 'none'})`,
    );
  }
  return pathToFileURL(path.join(registry, id, 'manifest.json'));
}

async function readManifest(url: URL): Promise<Manifest> {
  const response = await fileAwareFetch(url);
  if (!response.ok) throw new UsageError(`cannot read the model manifest ${url}: HTTP ${response.status}`);
  return parseManifest(await response.json(), url.href);
}

function progressPrinter(io: CliIo) {
  let last = '';
  return (stage: string, done: number, total: number) => {
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    const line = `${stage} ${pct}%`;
    if (line !== last && (pct % 10 === 0 || done === total)) io.stderr(`${line}\n`);
    last = line;
  };
}

async function classesCommand(
  values: Record<string, string | boolean | undefined>,
  io: CliIo,
): Promise<number> {
  const manifest = await readManifest(resolveModel(values.model as string | undefined, io));
  if (values.json) {
    io.stdout(
      `${JSON.stringify(
        {
          model: { id: manifest.id, version: manifest.version },
          classes: manifest.classes.map((c) => ({ name: c.name, synonyms: c.synonyms, group: c.group })),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.stdout(`${manifest.id} ${manifest.version}\n`);
    for (const c of manifest.classes) {
      io.stdout(`  ${c.name}${c.synonyms.length ? ` (${c.synonyms.join(', ')})` : ''}\n`);
    }
  }
  return 0;
}

function authorizationHeaders(
  url: string,
  values: Record<string, unknown>,
  io: CliIo,
): Record<string, string> {
  const authorization = (values.authorization as string | undefined) ?? io.env.CONTSEG_AUTHORIZATION;
  if (!authorization) return {};
  const { protocol, hostname } = new URL(url);
  const loopback = hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
  if (protocol !== 'https:' && !loopback) {
    throw new UsageError(
      `refusing to send the Authorization header over plain http to ${hostname}; use https`,
    );
  }
  return { Authorization: authorization };
}

async function segmentCommand(
  values: Record<string, string | boolean | undefined>,
  io: CliIo,
): Promise<number> {
  const url = values.dicomweb as string | undefined;
  const study = values.study as string | undefined;
  const classes = ((values.classes as string | undefined) ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (!url || !study || classes.length === 0) {
    throw new UsageError('segment needs --dicomweb <url>, --study <uid> and --classes <names>');
  }
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--dicomweb must be an http(s) URL, got "${url}"`);
  const backend = (values.backend as string | undefined) ?? 'auto';
  if (backend === 'node') {
    throw new UsageError(
      'backend "node" (onnxruntime-node) is not available in this build; use --backend wasm',
    );
  }
  if (backend !== 'auto' && backend !== 'wasm' && backend !== 'webgpu') {
    throw new UsageError(`--backend must be wasm, webgpu or node, got "${backend}"`);
  }
  const manifestUrl = resolveModel(values.model as string | undefined, io);
  const source = new DicomWebSource({
    url,
    headers: authorizationHeaders(url, values, io),
    createXhr: nodeXhr,
  });
  const progress = progressPrinter(io);
  const model = await loadModel(manifestUrl, {
    cache: new FolderFileCache(io.env.CONTSEG_CACHE ?? path.join(homedir(), '.cache', 'contseg', 'models')),
    fetch: fileAwareFetch,
    onProgress: (p: Progress) => progress(p.stage, p.done, p.total),
  });
  resolveClassNames(classes, model.classes); // unknown names fail here, before any image is fetched

  let seriesUid = values.series as string | undefined;
  if (!seriesUid) {
    const ct = (await source.searchSeries(study)).filter((s) => s.modality === 'CT');
    const chosen = ct.sort((a, b) => (b.numberOfInstances ?? 0) - (a.numberOfInstances ?? 0))[0];
    if (!chosen) throw new UsageError(`study ${study} has no CT series`);
    seriesUid = chosen.seriesInstanceUID;
    io.stderr(
      `series ${seriesUid} (${chosen.seriesDescription || 'no description'}, ${chosen.numberOfInstances ?? '?'} images)\n`,
    );
  }
  const { volume, plan } = await loadSeriesVolume(source, study, seriesUid, {
    decoder: new FrameDecoder(nodeCodecWasm),
    onProgress: (p) => progress(`read ${p.stage}`, p.done, p.total),
  });
  io.stderr(
    `volume ${volume.dims.join(' x ')} voxels, ${volume.spacing.map((s) => s.toFixed(2)).join(' x ')} mm\n`,
  );

  const result = await model.segment(volume, {
    classes,
    backend,
    onProgress: (p: Progress) => progress(p.stage, p.done, p.total),
  });
  await model.dispose();
  if (result.fallback) io.stderr(`note: ${result.fallback}\n`);

  const entries = new Map(model.classes.map((c) => [c.name, c]));
  const categories = ((model.manifest as unknown as Record<string, unknown>).categories ?? {}) as Record<
    string,
    unknown
  >;
  const seg = writeSegmentation({
    plan,
    segments: result.classes.map((c) => ({
      label: c.name,
      ...segmentCodes({ ...(entries.get(c.name) ?? { name: c.name }) }, categories),
      mask: c.mask,
    })),
    algorithm: result.model,
  });
  const out = path.resolve(
    io.cwd,
    (values.out as string | undefined) ?? `contseg-seg-${seg.sopInstanceUID}.dcm`,
  );
  await writeFile(out, new Uint8Array(seg.bytes));
  io.stderr(`wrote ${out}\n`);

  let store: StoreOutcome | undefined;
  if (values.store) {
    store = await storeSegmentation(source, seg);
    io.stderr(`${store.message}\n`);
  }
  const summary = {
    study,
    series: seriesUid,
    model: result.model,
    backend: result.backend,
    classes: result.classes.map((c) => ({ name: c.name, voxels: c.voxels, volumeMl: c.volumeMl })),
    seg: {
      path: out,
      sopInstanceUID: seg.sopInstanceUID,
      seriesInstanceUID: seg.seriesInstanceUID,
      empty: seg.empty,
    },
    store: store ? { stored: store.stored, status: store.status, message: store.message } : undefined,
    timingsMs: result.timingsMs,
  };
  if (values.json) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    for (const c of summary.classes)
      io.stdout(`${c.name}: ${c.volumeMl.toFixed(1)} ml (${c.voxels} voxels)\n`);
    io.stdout(`SEG: ${out}${store ? `\n${store.message}` : ''}\n`);
  }
  return store && !store.stored ? 1 : 0;
}

/** Runs the command line; returns the exit code. Never prints the Authorization value. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dicomweb: { type: 'string' },
        study: { type: 'string' },
        series: { type: 'string' },
        classes: { type: 'string' },
        model: { type: 'string' },
        backend: { type: 'string' },
        out: { type: 'string' },
        store: { type: 'boolean' },
        json: { type: 'boolean' },
        authorization: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const [command, ...extra] = positionals;
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (command === 'segment') return await segmentCommand(values, io);
    if (command === 'classes') return await classesCommand(values, io);
    throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const usage =
      err instanceof UsageError ||
      err instanceof DicomError ||
      (err instanceof EngineError &&
        ['unknown-class', 'no-classes', 'not-ct', 'too-big'].includes(err.code)) ||
      (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'));
    io.stderr(`contseg: ${message}\n`);
    if (err instanceof UsageError || err instanceof TypeError) io.stderr(`${USAGE}\n`);
    return usage ? 2 : 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const io: CliIo = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
  };
  runCli(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}
