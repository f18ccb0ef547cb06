// Builds this mode's instance from OHIF's segmentation mode: same viewports (cornerstone + SEG/RT display sets so
// stored SEGs reopen), tools, toolbar and hanging protocol; our panel first on the right; offered for CT only.
import { DISPLAY_NAME, EXTENSION_VERSION, MODE_ID, PANEL_ID, ROUTE_NAME } from './id.ts';
import { isValidMode } from './isValidMode.ts';
import type { ModeInstance, ModeRoute } from './types.ts';

function withOurPanel(route: ModeRoute): ModeRoute {
  const { props } = route.layoutInstance;
  return {
    ...route,
    layoutInstance: {
      ...route.layoutInstance,
      props: { ...props, rightPanels: [PANEL_ID, ...props.rightPanels.filter((p) => p !== PANEL_ID)] },
    },
  };
}

/** Our mode instance on top of the segmentation mode's; `extensionUrl` is where our extension bundle is served. */
export function deriveMode(base: ModeInstance, extensionUrl: string): ModeInstance {
  const route = base.routes[0];
  if (!route?.layoutInstance?.props || !Array.isArray(route.layoutInstance.props.rightPanels)) {
    throw new Error(`${base.id} has no route with a layout of right panels`);
  }
  return {
    ...base,
    id: MODE_ID,
    routeName: ROUTE_NAME,
    displayName: DISPLAY_NAME,
    hide: false,
    isValidMode,
    routes: [withOurPanel(route)],
    extensions: { ...base.extensions, [extensionUrl]: EXTENSION_VERSION },
  };
}
