// The whole local stack the demo and the end-to-end tests run: Orthanc with data uploaded, and the viewer server.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MODE_ROUTE } from './app-config.ts';
import { stowFolder } from './dicomweb.ts';
import { startOrthanc, type Orthanc } from './orthanc.ts';
import { generatePhantom, phantomUnavailable } from './phantom.ts';
import { REPO_ROOT, startViewerServer, type ViewerServer } from './viewer-server.ts';

/** The real 20-slice CT series, read from ../shared/data beside the repository when that folder exists. */
export const REAL_SERIES = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'dicom', 'totalseg-20slice-j2k');

export interface StackOptions {
  /** Generate and upload the phantom (default true); skipped with a log line while its CLI does not exist. */
  phantom?: boolean;
  /** Upload the real series when ../shared/data exists (default true). */
  realSeries?: boolean;
  /** Viewer port (default: a free one). */
  port?: number;
  modelsDir?: string;
  log?: (line: string) => void;
}

export interface Stack {
  orthanc: Orthanc;
  viewer: ViewerServer;
  /** Study Instance UID of the uploaded phantom, when generated. */
  phantomStudy?: string;
  /** Study Instance UID of the real series, when uploaded. */
  realStudy?: string;
  /** Viewer URL opening a study in our mode. */
  studyUrl(studyInstanceUid: string): string;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const log = options.log ?? (() => {});
  const orthanc = await startOrthanc();
  const cleanups: (() => Promise<void>)[] = [() => orthanc.stop()];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    log(`Orthanc ${orthanc.baseUrl} (data in ${orthanc.workDir})`);
    // The viewer starts before the uploads so that a busy port fails fast.
    const viewer = await startViewerServer({
      orthancUrl: orthanc.baseUrl,
      port: options.port,
      modelsDir: options.modelsDir,
    });
    cleanups.push(() => viewer.close());
    let phantomStudy: string | undefined;
    let realStudy: string | undefined;
    if (options.phantom ?? true) {
      const why = phantomUnavailable();
      if (why) log(`phantom skipped: ${why}`);
      else {
        const out = await mkdtemp(path.join(tmpdir(), 'contseg-phantom-'));
        try {
          log('generating the phantom study (seed 7) …');
          await generatePhantom(out, 7);
          [phantomStudy] = await stowFolder(orthanc.dicomWebUrl, out);
        } finally {
          await rm(out, { recursive: true, force: true });
        }
        log(`phantom uploaded: study ${phantomStudy}`);
      }
    }
    if ((options.realSeries ?? true) && existsSync(REAL_SERIES)) {
      [realStudy] = await stowFolder(orthanc.dicomWebUrl, REAL_SERIES);
      log(`real CT series uploaded: study ${realStudy}`);
    }
    return {
      orthanc,
      viewer,
      phantomStudy,
      realStudy,
      studyUrl: (uid) => `${viewer.url}/${MODE_ROUTE}?StudyInstanceUIDs=${uid}`,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
