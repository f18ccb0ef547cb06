// The extension's panel module: one right-side panel, "Organ & tumour AI".
import { PANEL_NAME, PANEL_TITLE } from './id.ts';
import { hostedPanel } from './Panels/hostedPanel.tsx';
import { OrganTumourPanel } from './Panels/OrganTumourPanel.tsx';
import { createPanelStore } from './Panels/panelStore.ts';
import { createRunSession } from './Panels/runSession.ts';
import type { OhifHost } from './services/ohifHost.ts';
import type { ExtensionParams, PanelModuleEntry } from './types.ts';
import { registryBaseUrl } from './utils/modelRegistry.ts';

export function getPanelModule({
  configuration,
  servicesManager,
  extensionManager,
}: ExtensionParams): PanelModuleEntry[] {
  const registryUrl = registryBaseUrl(configuration?.modelsUrl, window.location.href);
  const store = createPanelStore();
  const host: OhifHost = { services: servicesManager.services, extensionManager };
  const session = createRunSession(host);
  return [
    {
      name: PANEL_NAME,
      iconName: 'tab-segmentation',
      iconLabel: 'AI',
      label: PANEL_TITLE,
      component: hostedPanel(() => (
        <OrganTumourPanel registryUrl={registryUrl} store={store} session={session} />
      )),
    },
  ];
}
