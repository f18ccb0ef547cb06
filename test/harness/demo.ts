// `npm start`: Orthanc with the phantom (and the real series when ../shared/data exists), the viewer with our
// extension and mode, and the URL to open. Ctrl-C or SIGTERM stops everything it started, also during start-up.
import { startStack, type Stack } from './stack.ts';

const port = Number(process.env.PORT ?? 8080);
const log = (line: string) => console.log(`[demo] ${line}`);

let stack: Stack | undefined;
let stopRequested = false;
const shutdown = async (signal: string) => {
  if (stopRequested) return;
  stopRequested = true;
  // During start-up the stack does not exist yet: the start-up code below stops it once it is up.
  if (!stack) return log(`${signal}: stopping as soon as start-up settles`);
  log(`${signal}: stopping`);
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  stack = await startStack({ port, log });
} catch (err) {
  log(`cannot start: ${(err as Error).message}`);
  process.exit(1);
}
if (stopRequested) {
  await stack.stop();
  process.exit(0);
}
const study = stack.phantomStudy ?? stack.realStudy;
log(`viewer: ${stack.viewer.url}/ (study list)`);
if (study) log(`open:   ${stack.studyUrl(study)}`);
else log('no study was uploaded: neither the phantom CLI nor ../shared/data is available');
log('press Ctrl-C to stop');
