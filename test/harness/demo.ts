// `npm start`: Orthanc with the phantom (and the real series when ../shared/data exists), the viewer with our
// extension and mode, and the URL to open. Ctrl-C or SIGTERM stops everything it started.
import { startStack } from './stack.ts';

const port = Number(process.env.PORT ?? 8080);
const log = (line: string) => console.log(`[demo] ${line}`);

const stack = await startStack({ port, log });
const study = stack.phantomStudy ?? stack.realStudy;
log(`viewer: ${stack.viewer.url}/ (study list)`);
if (study) log(`open:   ${stack.studyUrl(study)}`);
else log('no study was uploaded: neither the phantom CLI nor ../shared/data is available');
log('press Ctrl-C to stop');

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
