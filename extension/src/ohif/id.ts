// The extension's id is its package name, as OHIF's own extensions do; panel and command ids derive from it.
import packageJson from '../../package.json';

export const EXTENSION_ID: string = packageJson.name;
export const PANEL_NAME = 'organTumourAI';
/** Id a mode lists in its layout's rightPanels. */
export const PANEL_ID = `${EXTENSION_ID}.panelModule.${PANEL_NAME}`;
export const PANEL_TITLE = 'Organ & tumour AI';
