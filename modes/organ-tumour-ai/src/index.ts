// OHIF mode "Organ & tumour AI", loaded at run time by URL from app-config.js (see docs/install.md). OHIF imports
// this ES module, calls `modeFactory` with a loader for its own modes, and lists the instance on the study list.
import { deriveMode } from './deriveMode.ts';
import { BASE_MODE, EXTENSION_FILE, MODE_ID } from './id.ts';
import type { ModeFactoryArgs, ModeInstance, ModeModule } from './types.ts';

const isModeModule = (m: unknown): m is ModeModule =>
  typeof m === 'object' && m !== null && typeof (m as ModeModule).modeFactory === 'function';

async function modeFactory({
  modeConfiguration,
  loadModules,
}: ModeFactoryArgs): Promise<ModeInstance | null> {
  if (!loadModules) {
    // Skip the mode rather than break the viewer's start-up.
    console.error(`${MODE_ID}: OHIF gave modeFactory no loadModules; this mode needs OHIF 3.13 or later`);
    return null;
  }
  const [base] = await loadModules([BASE_MODE]);
  if (!isModeModule(base) || !base.modeInstance) {
    console.error(
      `${MODE_ID}: this viewer's ${BASE_MODE} exports no modeInstance; this mode needs OHIF 3.13 or later`,
    );
    return null;
  }
  const ours = deriveMode(base.modeInstance, new URL(EXTENSION_FILE, __webpack_public_path__).href);
  // A site's `modesConfiguration` for this mode is applied the way OHIF applies it to its own modes: with the
  // base mode's factory (immutability-helper commands) on our instance.
  if (modeConfiguration && Object.keys(modeConfiguration).length) {
    return base.modeFactory.call({ modeInstance: ours }, { modeConfiguration });
  }
  return ours;
}

const mode: ModeModule = { id: MODE_ID, modeFactory };

export default mode;
