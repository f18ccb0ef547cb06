// OHIF extension "Organ & tumour AI": loaded at run time by URL from app-config.js (see docs/install.md); OHIF
// imports this ES module and registers its default export.
import { getPanelModule } from './ohif/getPanelModule.tsx';
import { EXTENSION_ID } from './ohif/id.ts';
import type { OhifExtension } from './ohif/types.ts';

const extension: OhifExtension = {
  id: EXTENSION_ID,
  getPanelModule,
};

export default extension;
