// Runs every suite (static checks, TypeScript unit, Python unit, integration against a real Orthanc, end-to-end in
// Debian Chromium) and ends with the one summary line CI reads: `N passed, N failed`.
// `npm test -- unit python` runs only the named suites.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

interface Suite {
  name: string;
  command: string[];
  /** Reads the counts from the runner's output; a suite whose output has none counts as one failure. */
  parse: (output: string, exitCode: number) => Counts;
}

function findFiles(dir: string, suffix: string): string[] {
  const abs = path.join(root, dir);
  try {
    statSync(abs);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findFiles(rel, suffix));
    else if (entry.name.endsWith(suffix)) out.push(rel);
  }
  return out.sort();
}

function lastNumber(output: string, pattern: RegExp): number | undefined {
  const all = [...output.matchAll(pattern)];
  const last = all.at(-1);
  return last ? Number(last[1]) : undefined;
}

const parseNodeTest = (output: string, exitCode: number): Counts => {
  const passed = lastNumber(output, /^ℹ pass (\d+)$/gm);
  const failed = lastNumber(output, /^ℹ fail (\d+)$/gm);
  const cancelled = lastNumber(output, /^ℹ cancelled (\d+)$/gm) ?? 0;
  const skipped = lastNumber(output, /^ℹ skipped (\d+)$/gm) ?? 0;
  if (passed === undefined || failed === undefined) return { passed: 0, failed: 1, skipped: 0 };
  const total = failed + cancelled;
  return { passed, failed: total === 0 && exitCode !== 0 ? 1 : total, skipped };
};

const parsePytest = (output: string, exitCode: number): Counts => {
  // `-q` prints the bare line `3 passed, 1 skipped in 2.1s`; otherwise it is framed by `=`.
  const summary = [...output.matchAll(/^(?:=+ )?(\d+ \w+.*) in [\d.]+s\b/gm)].at(-1)?.[1] ?? '';
  const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(summary)?.[1] ?? 0);
  const counts = {
    passed: count('passed'),
    failed: count('failed') + count('error'),
    skipped: count('skipped'),
  };
  if (counts.passed + counts.failed === 0 || (exitCode !== 0 && counts.failed === 0)) counts.failed += 1;
  return counts;
};

const parseCheck = (_output: string, exitCode: number): Counts =>
  exitCode === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 };

/** node's runner given no files would search the whole tree: a suite without test files fails instead. */
function nodeTest(dirs: string[], concurrency: number): string[] {
  const files = dirs.flatMap((dir) => findFiles(dir, '.test.ts'));
  if (!files.length)
    return [
      process.execPath,
      '-e',
      `console.error('no test files under ${dirs.join(', ')}'); process.exit(1)`,
    ];
  return [
    process.execPath,
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${concurrency}`,
    ...files,
  ];
}

const suites: Suite[] = [
  { name: 'typecheck', command: ['npx', 'tsc', '-p', 'tsconfig.json', '--noEmit'], parse: parseCheck },
  { name: 'lint', command: ['npm', 'run', '--silent', 'lint'], parse: parseCheck },
  { name: 'unit', command: nodeTest(['test/extension', 'test/bench'], 2), parse: parseNodeTest },
  {
    name: 'python',
    command: ['models/.venv/bin/python', '-m', 'pytest', 'test/models', '-q', '-p', 'no:cacheprovider'],
    parse: parsePytest,
  },
  { name: 'integration', command: nodeTest(['test/integration'], 1), parse: parseNodeTest },
  { name: 'e2e', command: nodeTest(['test/e2e'], 1), parse: parseNodeTest },
];

function run(suite: Suite): Promise<Counts> {
  return new Promise((resolve) => {
    process.stdout.write(`\n=== ${suite.name}: ${suite.command.slice(0, 6).join(' ')} …\n`);
    const [cmd, ...args] = suite.command as [string, ...string[]];
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let output = '';
    const forward = (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', (err) => {
      output += String(err);
      resolve({ passed: 0, failed: 1, skipped: 0 });
    });
    child.on('close', (code) => resolve(suite.parse(output, code ?? 1)));
  });
}

const wanted = process.argv.slice(2);
const selected = wanted.length ? suites.filter((s) => wanted.includes(s.name)) : suites;
if (wanted.length && selected.length !== wanted.length) {
  console.error(`unknown suite in ${wanted.join(', ')}; suites: ${suites.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const totals: Counts = { passed: 0, failed: 0, skipped: 0 };
const lines: string[] = [];
for (const suite of selected) {
  const started = Date.now();
  const counts = await run(suite);
  totals.passed += counts.passed;
  totals.failed += counts.failed;
  totals.skipped += counts.skipped;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  lines.push(
    `${suite.name.padEnd(12)} ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (${seconds} s)`,
  );
}
console.log('\n=== summary');
for (const line of lines) console.log(line);
const skipped = totals.skipped ? `, ${totals.skipped} skipped` : '';
console.log(`${totals.passed} passed, ${totals.failed} failed${skipped}`);
process.exit(totals.failed ? 1 : 0);
