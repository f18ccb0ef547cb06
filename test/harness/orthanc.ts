// A real Orthanc PACS for tests and the demo: Debian's /usr/sbin/Orthanc in the foreground, loopback only, with the
// DICOMweb plugin at /dicom-web/ and GDCM for JPEG 2000; storage, index and config live in a temp folder that
// `stop()` removes.
//
// Refusing writes (for tests of the store path's error handling): start with `{ refuseStow: true }`, or switch at
// run time with `setRefuseStow(true|false)`. A Lua `IncomingHttpRequestFilter` then answers every POST to
// `/dicom-web/studies...` with HTTP 403 before Orthanc stores anything; reads (QIDO/WADO) keep working.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ORTHANC_BINARY = '/usr/sbin/Orthanc';
export const ORTHANC_PLUGINS = [
  '/usr/share/orthanc/plugins/libOrthancDicomWeb.so',
  '/usr/share/orthanc/plugins/libOrthancGdcm.so',
];

export interface OrthancOptions {
  /** Start with STOW-RS refused (HTTP 403). */
  refuseStow?: boolean;
  /** How long to wait for `GET /system` to answer. */
  startTimeoutMs?: number;
  /** Receives Orthanc's stdout/stderr lines (default: kept in memory only, shown when startup fails). */
  onLog?: (line: string) => void;
}

export interface Orthanc {
  /** e.g. http://127.0.0.1:40123 */
  readonly baseUrl: string;
  /** e.g. http://127.0.0.1:40123/dicom-web */
  readonly dicomWebUrl: string;
  readonly port: number;
  /** Temp folder holding config, storage and index. */
  readonly workDir: string;
  /** Turns STOW refusal on or off without restarting. */
  setRefuseStow(refuse: boolean): Promise<void>;
  /** Kills Orthanc and removes its temp folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** Asks the kernel for a free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a loopback listener'));
      });
    });
  });
}

// The filter reads a global that `setRefuseStow` flips through /tools/execute-script (a POST outside /dicom-web).
const refuseStowLua = (refuse: boolean) => `
refuseStow = ${refuse ? 'true' : 'false'}
function IncomingHttpRequestFilter(method, uri, ip, username, httpHeaders)
  if refuseStow and method == 'POST' and string.find(uri, '^/dicom%-web/studies') then
    return false
  end
  return true
end
`;

function orthancConfig(workDir: string, port: number, luaPath: string) {
  return {
    Name: 'contseg-test',
    HttpPort: port,
    HttpServerEnabled: true,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomServerEnabled: false,
    StorageDirectory: path.join(workDir, 'storage'),
    IndexDirectory: path.join(workDir, 'index'),
    Plugins: ORTHANC_PLUGINS,
    LuaScripts: [luaPath],
    ExecuteLuaEnabled: true,
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: true, WadoRoot: '/wado', Ssl: false },
  };
}

async function waitForSystem(baseUrl: string, child: ChildProcess, timeoutMs: number, logTail: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `Orthanc exited during startup (code ${child.exitCode ?? child.signalCode}):\n${logTail()}`,
      );
    }
    try {
      const response = await fetch(`${baseUrl}/system`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Orthanc did not answer GET /system within ${timeoutMs} ms:\n${logTail()}`);
}

function killAndWait(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts Orthanc on a free loopback port and resolves once its REST API answers. */
export async function startOrthanc(options: OrthancOptions = {}): Promise<Orthanc> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'contseg-orthanc-'));
  const port = await freePort();
  const luaPath = path.join(workDir, 'refuse-stow.lua');
  const configPath = path.join(workDir, 'orthanc.json');
  await writeFile(luaPath, refuseStowLua(options.refuseStow ?? false));
  await writeFile(configPath, JSON.stringify(orthancConfig(workDir, port, luaPath), null, 2));

  const logLines: string[] = [];
  const child = spawn(ORTHANC_BINARY, [configPath], { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      logLines.push(line);
      if (logLines.length > 200) logLines.shift();
      options.onLog?.(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new Error(`cannot start ${ORTHANC_BINARY}: ${err.message}`)));
  });

  const baseUrl = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await killAndWait(child, 5000);
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    await spawned;
    await waitForSystem(baseUrl, child, options.startTimeoutMs ?? 30_000, () =>
      logLines.slice(-30).join('\n'),
    );
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    baseUrl,
    dicomWebUrl: `${baseUrl}/dicom-web`,
    port,
    workDir,
    async setRefuseStow(refuse: boolean) {
      const response = await fetch(`${baseUrl}/tools/execute-script`, {
        method: 'POST',
        body: `refuseStow = ${refuse ? 'true' : 'false'}`,
      });
      if (!response.ok) throw new Error(`Orthanc refused the Lua toggle: HTTP ${response.status}`);
    },
    stop,
  };
}
