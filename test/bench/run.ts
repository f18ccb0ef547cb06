// `npm run bench` (quick) / `npm run bench -- --full`: benchmarks every registry model, and the full-tier
// architecture with untrained weights (make_full_tier.py), on the benchmark volumes and writes docs/benchmarks.json
// and docs/benchmarks.md (--full: docs/benchmarks-full.*). Each engine case runs in its own process (engine-case.ts) so that its peak memory is its
// own; the PyTorch baseline (torch_baseline.py) runs in the same session with the same threads. Options: --full,
// --out <dir> (default docs), --threads <n> (default: all cores); --gpu (used by test/bench/gpu/run.sh): WebGPU cases
// only, through the bundle given by --webgpu-bundle, next to PyTorch CUDA, written as benchmarks-gpu.{json,md};
// --model <id> (repeatable): only these models (registry ids or full-tier-timing); --rounds <n>; --prepare: only
// build the cached volumes and full-tier timing model (a GPU machine's CPU work before its timed runs);
// --depth-stacked-convs: the full-tier model's WebGPU-only graph (stride-1 Conv3d as Conv2d; too large for WASM);
// --fp16: every case also runs the model's fp16 backbone (the full-tier model is then exported with one too);
// --profile: each WebGPU case also runs once with ORT's kernel profiling, reported per kernel; --classes 1,32: the
// class counts instead of the mode's.
// CONTSEG_BENCH_PYTHON overrides the Python that runs the baseline; CONTSEG_BENCH_COMMIT names the commit where the
// tree has no .git (a copy on a GPU machine).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import type { CaseResult, CaseSpec, ConvProbeSpec } from './engine-case.ts';
import { renderMarkdown, reportName } from './report.ts';
import type { BenchReport, Mode, ModelBench, TorchBaseline, VolumeInfo } from './results.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PYTHON = process.env.CONTSEG_BENCH_PYTHON ?? path.join(ROOT, 'models/.venv/bin/python');
const ORT_WEBGPU_WASM = path.join(ROOT, 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.wasm');
const HERE = path.join(ROOT, 'test/bench');
/** The id make_full_tier.py gives the full-tier timing model. */
const FULL_TIER_ID = 'full-tier-timing';
/** A WebGPU probe that takes longer has hung (a Vulkan driver that never answers). */
const PROBE_TIMEOUT_MS = 60 * 1000;

/**
 * What each mode runs: the quick one fits a few minutes on a 2-core machine. `rounds`: each volume's class counts
 * run in turn that many times (1, 32, 1, 32, ...) and the fastest run of each is kept, so that on a shared machine
 * every class count meets the same spells of load.
 */
const PLAN: Record<Mode, { volumes: string[]; classes: number[]; torchReps: number; rounds: number }> = {
  quick: { volumes: ['phantom-3mm'], classes: [1, 32], torchReps: 1, rounds: 3 },
  full: {
    volumes: ['phantom-3mm', 'phantom-1.5mm', 'ct-512x512x300'],
    classes: [1, 4, 13, 32],
    torchReps: 3,
    rounds: 1,
  },
};

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** A folder built once per content of the `inputs` files, by `build(partialFolder)`, as .cache/bench/<name>-<hash>/. */
function cached(name: string, inputs: string[], what: string, build: (partial: string) => void): string {
  const hash = createHash('sha256');
  for (const file of inputs) hash.update(readFileSync(file));
  const folder = path.join(ROOT, '.cache', 'bench', `${name}-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(folder)) {
    log(`writing ${what}...`);
    const partial = `${folder}.partial`;
    rmSync(partial, { recursive: true, force: true });
    build(partial);
    renameSync(partial, folder);
  }
  return folder;
}

/** The environment of our Python scripts: the `contseg` package importable, an existing PYTHONPATH kept. */
const pythonEnv = () => ({
  ...process.env,
  PYTHONPATH: [path.join(ROOT, 'models'), process.env.PYTHONPATH].filter(Boolean).join(':'),
});

const runPython = (args: string[]) =>
  execFileSync(PYTHON, args, { stdio: ['ignore', 'ignore', 'inherit'], env: pythonEnv() });

/** The benchmark series, built once per version of make_volumes.py. */
function benchVolumes(): { folder: string; volumes: VolumeInfo[] } {
  const script = path.join(HERE, 'make_volumes.py');
  const what = 'the benchmark series (phantom 3 mm and 1.5 mm, CT 512x512x300)';
  const folder = cached('volumes', [script], what, (out) => runPython([script, out]));
  return {
    folder,
    volumes: JSON.parse(readFileSync(path.join(folder, 'volumes.json'), 'utf8')) as VolumeInfo[],
  };
}

/** A model to benchmark: its manifest and the checkpoints the PyTorch baseline may take its weights from. */
interface BenchModel {
  id: string;
  version: string;
  description: string;
  manifest: string;
  checkpoints: string[];
}

/** Every registry model, with the training checkpoints under models/.work (a clone has none: random weights). */
function registryModels(): BenchModel[] {
  const index = JSON.parse(readFileSync(path.join(ROOT, 'models/registry/index.json'), 'utf8')) as {
    models: { id: string; version: string; path: string; description: string }[];
  };
  const work = path.join(ROOT, 'models/.work');
  const checkpoints = existsSync(work)
    ? readdirSync(work, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => path.join(work, d.name, 'final.pt'))
        .filter(existsSync)
    : [];
  return index.models.map((m) => ({
    ...m,
    manifest: path.join(ROOT, 'models/registry', m.path),
    checkpoints,
  }));
}

/**
 * The full-tier architecture (feature size 48, 96^3) with untrained weights (make_full_tier.py): no trained one
 * exists here, and its time per patch, hence time(32)/time(1) per patch, does not depend on the weights.
 */
function fullTierModel(depthStackedConvs: boolean, fp16: boolean): BenchModel {
  const script = path.join(HERE, 'make_full_tier.py');
  const registry = path.join(ROOT, 'models/registry/abdomen-fast/manifest.json');
  const what = 'the full-tier timing model (export and parity check: minutes)';
  // The export and network code shape the graph: a change rebuilds it.
  const sources = ['models/contseg/export', 'models/contseg/network'].flatMap((dir) =>
    readdirSync(path.join(ROOT, dir))
      .filter((f) => f.endsWith('.py'))
      .sort()
      .map((f) => path.join(ROOT, dir, f)),
  );
  const variant = [...(depthStackedConvs ? ['--depth-stacked-convs'] : []), ...(fp16 ? ['--fp16'] : [])];
  const name = ['full-tier', ...(depthStackedConvs ? ['conv2d'] : []), ...(fp16 ? ['fp16'] : [])].join('-');
  const folder = cached(name, [script, registry, ...sources], what, (out) =>
    runPython([script, out, '--registry-manifest', registry, ...variant]),
  );
  const manifest = path.join(folder, FULL_TIER_ID, 'manifest.json');
  const { id, version, description } = JSON.parse(readFileSync(manifest, 'utf8')) as BenchModel;
  return { id, version, description, manifest, checkpoints: [path.join(folder, 'checkpoint/final.pt')] };
}

/**
 * How engine-case.ts runs for a backend: WebGPU through the bundle (ORT's WebGPU build, its .wasm handed over as
 * bytes, single-threaded in Node as its thread pool would fetch a script file; the GPU computes), WASM from source.
 */
function engineCase(
  backend: CaseSpec['backend'],
  threads: number,
  webgpuBundle: string | undefined,
): { script: string[]; runtime: { threads: number; ortWasm?: string } } {
  if (backend !== 'webgpu')
    return { script: ['--import', 'tsx', path.join(HERE, 'engine-case.ts')], runtime: { threads } };
  if (!webgpuBundle)
    throw new Error("WebGPU cases need ORT's WebGPU build: run them through test/bench/gpu/run.sh");
  return { script: [webgpuBundle], runtime: { threads: 1, ortWasm: ORT_WEBGPU_WASM } };
}

/** A case's result, or the engine's refusal of the request for its memory limit (EngineError 'too-big'). */
type CaseOutcome = CaseResult | { refused: string };

/** Runs one case in a fresh Node process (engineCase). */
function runCase(spec: CaseSpec, webgpuBundle: string | undefined): CaseOutcome {
  const { script, runtime } = engineCase(spec.backend, spec.threads, webgpuBundle);
  const args = [...script, JSON.stringify({ ...spec, ...runtime })];
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) {
    throw new Error(`case ${JSON.stringify(spec)} failed (exit ${run.status}):\n${run.stderr.slice(-3000)}`);
  }
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as CaseOutcome;
}

/**
 * Whether Dawn (npm `webgpu`) finds an adapter here, asked in a child process (Dawn may print to stderr) of the
 * WebGPU bundle where one is given (a GPU machine may have no tsx), else of engine-case.ts.
 */
function probeWebGpu(webgpuBundle: string | undefined): { adapter: string } | { unavailable: string } {
  const script = webgpuBundle ? [webgpuBundle] : ['--import', 'tsx', path.join(HERE, 'engine-case.ts')];
  const run = spawnSync(process.execPath, [...script, '--probe-webgpu'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS,
  });
  if (run.status !== 0) {
    const why = run.error ? `no answer in ${PROBE_TIMEOUT_MS / 1000} s` : run.stderr.trim().split('\n')[0];
    return { unavailable: `WebGPU probe failed: ${why}` };
  }
  const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as
    { adapter: string } | { unavailable: string };
  const why = run.stderr.trim().split('\n')[0];
  return 'unavailable' in result && why ? { unavailable: `${result.unavailable}; Dawn: ${why}` } : result;
}

function torchBaseline(
  model: BenchModel,
  classes: number[],
  threads: number,
  reps: number,
  device: 'cpu' | 'cuda',
): ModelBench['torch'] {
  const args = [path.join(HERE, 'torch_baseline.py'), model.manifest, '--classes', classes.join(',')];
  args.push('--threads', String(threads), '--reps', String(reps), '--device', device);
  for (const c of model.checkpoints) args.push('--checkpoint', c);
  const run = spawnSync(PYTHON, args, {
    cwd: path.join(ROOT, 'models'),
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: pythonEnv(),
  });
  if (run.status !== 0) return { unavailable: `torch_baseline.py failed: ${run.stderr.slice(-500)}` };
  const baseline = JSON.parse(run.stdout) as TorchBaseline;
  // Paths as the repository names them (the report is committed).
  return {
    ...baseline,
    weights: baseline.weights.replaceAll(ROOT + path.sep, ''),
  };
}

/**
 * The conv probe (conv_probe.py): one 3x3x3 Conv3d, 48 -> 48 channels at 96^3, timed by PyTorch on `device` and by
 * onnxruntime-web on `backend` with the same threads: the runtimes' ratio on the full tier's commonest kernel.
 */
function convProbe(
  backend: CaseSpec['backend'],
  device: 'cpu' | 'cuda',
  threads: number,
  reps: number,
  webgpuBundle: string | undefined,
): BenchReport['convProbe'] {
  const onnx = path.join(ROOT, '.cache', 'bench', 'conv-probe.onnx');
  mkdirSync(path.dirname(onnx), { recursive: true });
  const args = [path.join(HERE, 'conv_probe.py'), onnx, '--threads', String(threads), '--reps', String(reps)];
  const torch = spawnSync(PYTHON, [...args, '--device', device], { encoding: 'utf8', env: pythonEnv() });
  if (torch.status !== 0) return { unavailable: `conv_probe.py failed: ${torch.stderr.slice(-500)}` };
  const probe = JSON.parse(torch.stdout) as {
    input: number[];
    flops: number;
    torchMs: number;
    torchDevice: string;
  };
  const { script, runtime } = engineCase(backend, threads, webgpuBundle);
  const spec: ConvProbeSpec = { onnx, input: probe.input, backend, reps, ...runtime };
  const ours = spawnSync(process.execPath, [...script, '--conv-probe', JSON.stringify(spec)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (ours.status !== 0)
    return { unavailable: `engine-case --conv-probe failed: ${ours.stderr.slice(-500)}` };
  const { ms, runsMs } = JSON.parse(ours.stdout.trim().split('\n').pop() ?? '') as {
    ms: number;
    runsMs: number[];
  };
  return { ...probe, backend, threads: runtime.threads, oursMs: ms, oursRunsMs: runsMs };
}

/**
 * One volume on one backend and backbone: each class count of the plan `plan.rounds` times in turn (1, 32, 1, 32,
 * ...), the fastest run of each kept with every round's volume time; a class count the engine refuses (memory limit)
 * is run once and listed in `refused`.
 */
function runRounds(
  plan: { classes: number[]; rounds: number },
  base: Pick<CaseSpec, 'manifest' | 'series' | 'backend' | 'backbone' | 'profile'>,
  webgpuBundle: string | undefined,
  threads: number,
): { cases: (CaseResult & { roundsVolumeMs: number[] })[]; refused: Map<number, string> } {
  const best = new Map<number, CaseResult>();
  const rounds = new Map<number, number[]>();
  const refused = new Map<number, string>();
  for (let round = 1; round <= plan.rounds; round++) {
    for (const classes of plan.classes.filter((c) => !refused.has(c))) {
      const what = `${path.basename(path.dirname(base.manifest))} ${path.basename(base.series)} ${base.backend}`;
      log(`${what} ${base.backbone} ${classes} classes (round ${round} of ${plan.rounds})...`);
      const spec: CaseSpec = {
        ...base,
        classes,
        threads,
        batch: 1,
        // WebGPU compiles its pipelines on the first run: timed warm, as the PyTorch baseline is.
        warmup: base.backend === 'webgpu',
      };
      const result = runCase(spec, webgpuBundle);
      if ('refused' in result) {
        log(`  refused: ${result.refused}`);
        refused.set(classes, result.refused);
        continue;
      }
      log(
        `  ${(result.ms.volume / 1000).toFixed(1)} s, ${result.patches} patches, peak ${result.peakMiB.toFixed(0)} MiB`,
      );
      rounds.set(classes, [...(rounds.get(classes) ?? []), result.ms.volume]);
      const kept = best.get(classes);
      if (!kept || result.ms.volume < kept.ms.volume) best.set(classes, result);
    }
  }
  const cases = plan.classes
    .filter((classes) => best.has(classes))
    .map((classes) => ({ ...(best.get(classes) as CaseResult), roundsVolumeMs: rounds.get(classes) ?? [] }));
  return { cases, refused };
}

function gitCommit(): string {
  if (process.env.CONTSEG_BENCH_COMMIT) return process.env.CONTSEG_BENCH_COMMIT;
  const run = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : 'unknown';
}

async function main() {
  const { values } = parseArgs({
    options: {
      full: { type: 'boolean', default: false },
      out: { type: 'string', default: path.join(ROOT, 'docs') },
      threads: { type: 'string', default: String(os.availableParallelism()) },
      gpu: { type: 'boolean', default: false },
      'webgpu-bundle': { type: 'string' },
      model: { type: 'string', multiple: true },
      rounds: { type: 'string' },
      prepare: { type: 'boolean', default: false },
      'depth-stacked-convs': { type: 'boolean', default: false },
      fp16: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      classes: { type: 'string' },
    },
  });
  const mode: Mode = values.full ? 'full' : 'quick';
  const threads = Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads must be a positive integer`);
  const plan = {
    ...PLAN[mode],
    ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
    ...(values.classes ? { classes: values.classes.split(',').map(Number) } : {}),
  };
  if (!Number.isInteger(plan.rounds) || plan.rounds < 1)
    throw new Error(`--rounds must be a positive integer`);
  if (plan.classes.some((c) => !Number.isInteger(c) || c < 1))
    throw new Error(`--classes must be positive integers separated by commas, got ${values.classes}`);
  const registry = registryModels();
  const known = [...registry.map((m) => m.id), FULL_TIER_ID];
  const unknown = (values.model ?? []).filter((id) => !known.includes(id));
  if (unknown.length > 0) throw new Error(`--model ${unknown.join(', ')}: not one of ${known.join(', ')}`);
  const wanted = (id: string) => !values.model || values.model.includes(id);
  const fullTier = () =>
    wanted(FULL_TIER_ID) ? [fullTierModel(values['depth-stacked-convs'], values.fp16)] : [];
  const loadBefore = os.loadavg();
  const { folder, volumes } = benchVolumes();
  if (values.prepare) {
    fullTier();
    log('prepared the volumes and the full-tier timing model');
    return;
  }
  const webgpu = probeWebGpu(values['webgpu-bundle']);
  if (values.gpu && !('adapter' in webgpu))
    throw new Error(`--gpu: no WebGPU adapter: ${webgpu.unavailable}`);
  const backends: CaseSpec['backend'][] = values.gpu
    ? ['webgpu']
    : 'adapter' in webgpu && values['webgpu-bundle']
      ? ['wasm', 'webgpu']
      : ['wasm'];
  log(
    `mode ${mode}, ${threads} threads, WebGPU: ${'adapter' in webgpu ? webgpu.adapter : webgpu.unavailable}`,
  );

  // PyTorch on the kind of device ours runs on: its CPU against WASM, CUDA against WebGPU.
  const device = values.gpu ? 'cuda' : 'cpu';
  const models: ModelBench[] = [];
  for (const entry of [...registry.filter((m) => wanted(m.id)), ...fullTier()]) {
    const manifest = entry.manifest;
    const { preprocess, network } = JSON.parse(readFileSync(manifest, 'utf8')) as {
      preprocess: { patch: number[] };
      network: { backboneFp16?: string };
    };
    const patch = preprocess.patch;
    const backbones: ('fp32' | 'fp16')[] = values.fp16 && network.backboneFp16 ? ['fp32', 'fp16'] : ['fp32'];
    const cases: ModelBench['cases'] = [];
    const refused: NonNullable<ModelBench['refused']> = [];
    for (const volume of plan.volumes) {
      if (!volumes.some((v) => v.name === volume && !v.missing)) continue;
      for (const backend of backends) {
        for (const backbone of backbones) {
          const run = runRounds(
            plan,
            {
              manifest,
              series: path.join(folder, volume),
              backend,
              backbone,
              profile: values.profile && backend === 'webgpu',
            },
            values['webgpu-bundle'],
            threads,
          );
          cases.push(...run.cases.map((c) => ({ volume, ...c })));
          for (const [classes, message] of run.refused) {
            refused.push({ volume, backend, ...(backbone === 'fp16' ? { backbone } : {}), classes, message });
          }
        }
      }
    }
    log(`${entry.id}: PyTorch ${device} baseline...`);
    const torch = torchBaseline(entry, plan.classes, threads, plan.torchReps, device);
    models.push({
      id: entry.id,
      version: entry.version,
      description: entry.description,
      patch,
      cases,
      ...(refused.length ? { refused } : {}),
      torch,
    });
  }

  const probeBackend = values.gpu ? 'webgpu' : 'wasm';
  log(`conv probe: ${probeBackend} against PyTorch ${device}...`);
  // At least 3 timed runs: one kernel is seconds, and its median is the report's only figure for it.
  const probe = convProbe(
    probeBackend,
    device,
    threads,
    Math.max(3, plan.torchReps),
    values['webgpu-bundle'],
  );
  const ortVersion = (
    JSON.parse(readFileSync(path.join(ROOT, 'node_modules/onnxruntime-web/package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const report: BenchReport = {
    environment: {
      date: new Date().toISOString(),
      mode,
      commit: gitCommit(),
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      loadAverage: { before: loadBefore, after: os.loadavg() },
      node: process.version,
      onnxruntimeWeb: ortVersion,
      threads,
      webgpu: 'adapter' in webgpu ? webgpu.adapter : `unavailable: ${webgpu.unavailable}`,
      rounds: plan.rounds,
    },
    volumes,
    models,
    convProbe: probe,
  };
  const name = reportName(report);
  mkdirSync(values.out, { recursive: true });
  // Formatted as `npm run lint` checks the committed docs.
  const write = async (file: string, text: string) => {
    const options = (await prettier.resolveConfig(file)) ?? {};
    writeFileSync(file, await prettier.format(text, { ...options, filepath: file }));
  };
  await write(path.join(values.out, `${name}.json`), JSON.stringify(report));
  await write(path.join(values.out, `${name}.md`), renderMarkdown(report));
  log(`wrote ${path.join(values.out, name)}.md and .json`);
}

await main();
