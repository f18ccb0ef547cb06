// The part of OHIF 3.x's run-time API this extension uses. OHIF ships UMD bundles without type declarations, so
// the surface is declared here (checked against @ohif/app 3.13.2).
import type { ComponentType } from 'react';
import type { OhifExtensionManager, OhifServices } from './services/ohifHost.ts';

/** Configuration a site may give the extension in app-config.js: `extensions: [[url, { modelsUrl }]]`. */
export interface ExtensionConfiguration {
  /** Base URL of the model registry (holds index.json); default `/models/` on the viewer's origin. */
  modelsUrl?: string;
}

/** What OHIF passes to an extension's getXModule functions (services/ohifHost.ts declares what is used of them). */
export interface ExtensionParams {
  servicesManager: { services: OhifServices };
  commandsManager: unknown;
  extensionManager: OhifExtensionManager;
  configuration?: ExtensionConfiguration;
}

export interface PanelModuleEntry {
  name: string;
  iconName: string;
  iconLabel: string;
  label: string;
  /** Rendered by the host's React with no props. */
  component: ComponentType;
}

export interface OhifExtension {
  id: string;
  getPanelModule?: (params: ExtensionParams) => PanelModuleEntry[];
}
