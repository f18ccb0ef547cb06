// Ids and names of this mode, and the ids it refers to in OHIF and in our extension.
import packageJson from '../package.json';

export { PANEL_ID } from '../../../extension/src/ohif/id.ts';

export const MODE_ID: string = packageJson.name;
export const ROUTE_NAME = 'organ-tumour-ai';
export const DISPLAY_NAME = 'Organ & tumour AI';

/** OHIF's segmentation mode, whose layout, tools and toolbar this mode reuses. */
export const BASE_MODE = '@ohif/mode-segmentation';
/** The extension bundle sits beside this mode's bundle in dist/ext/. */
export const EXTENSION_FILE = 'extension-organ-tumour-ai.js';
export const EXTENSION_VERSION = '^0.1.0';
