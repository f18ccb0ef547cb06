// The OHIF 3.13 services and cornerstone objects the panel's run/store features use, declared narrowly (OHIF ships
// no type declarations), and the look-ups built on them: the active CT display set and the active data source's
// DICOMweb root with the user's Authorization header.

export interface OhifDisplaySet {
  displaySetInstanceUID: string;
  StudyInstanceUID: string;
  SeriesInstanceUID: string;
  SeriesDescription?: string;
  SeriesNumber?: number | string;
  Modality: string;
  imageIds: string[];
}

export interface SegmentConfig {
  label: string;
  segmentIndex: number;
  color?: [number, number, number, number];
}

export interface OhifSegmentationService {
  createLabelmapForDisplaySet(
    displaySet: OhifDisplaySet,
    options: { label: string; segmentationId?: string; segments: Record<number, SegmentConfig> },
  ): Promise<string>;
  addSegmentationRepresentation(viewportId: string, options: { segmentationId: string }): Promise<void>;
  getSegmentation(
    segmentationId: string,
  ): { representationData: { Labelmap?: { imageIds: string[] } } } | undefined;
  setSegmentColor(
    viewportId: string,
    segmentationId: string,
    segmentIndex: number,
    color: [number, number, number, number],
  ): void;
  setSegmentVisibility(
    viewportId: string,
    segmentationId: string,
    segmentIndex: number,
    isVisible: boolean,
  ): void;
  /** `center.world`: the LPS point to go to (OHIF otherwise needs segment statistics a filled labelmap lacks). */
  jumpToSegmentCenter(
    segmentationId: string,
    segmentIndex: number,
    viewportId: string | undefined,
    highlightAlpha: number | undefined,
    highlightSegment: boolean | undefined,
    animationLength: number | undefined,
    highlightHideOthers: boolean | undefined,
    animationFunctionType: undefined,
    center: { world: [number, number, number] },
  ): void;
  remove(segmentationId: string): void;
}

export interface OhifServices {
  displaySetService: { getDisplaySetByUID(uid: string): OhifDisplaySet | undefined };
  viewportGridService: {
    getActiveViewportId(): string;
    getDisplaySetsUIDsForViewport(viewportId: string): string[] | undefined;
  };
  segmentationService: OhifSegmentationService;
  uiNotificationService: {
    show(options: {
      title: string;
      message: string;
      type: 'success' | 'error' | 'info' | 'warning';
      duration?: number;
    }): void;
  };
  panelService: { activatePanel(panelId: string, forceActive?: boolean): void };
  userAuthenticationService?: { getAuthorizationHeader(): Record<string, string> | undefined };
}

export interface OhifDataSource {
  getConfig(): { wadoRoot?: string } | undefined;
}

/** A labelmap slice's pixel array (a typed array). */
export interface LabelmapScalars extends ArrayLike<number> {
  set(values: ArrayLike<number>, offset?: number): void;
}

/** The parts of cornerstone core/tools (the host's copies) used to fill and read labelmap slices. */
export interface CornerstoneLibraries {
  cornerstone: {
    cache: {
      getImage(imageId: string):
        | {
            referencedImageId?: string;
            /** The image's own pixel array (written in place: OHIF's brush edits the same array). */
            voxelManager: { getScalarData(): LabelmapScalars };
          }
        | undefined;
    };
    metaData: { get(type: string, imageId: string): { SOPInstanceUID?: string } | undefined };
    imageLoader: { loadAndCacheImage(imageId: string): Promise<unknown> };
  };
  cornerstoneTools: {
    segmentation: {
      triggerSegmentationEvents: { triggerSegmentationDataModified(segmentationId: string): void };
    };
  };
}

export interface OhifExtensionManager {
  getModuleEntry(id: string): { exports?: { getCornerstoneLibraries?: () => unknown } } | undefined;
  getActiveDataSource(): OhifDataSource[];
}

export interface OhifHost {
  services: OhifServices;
  extensionManager: OhifExtensionManager;
}

const CORNERSTONE_UTILITY = '@ohif/extension-cornerstone.utilityModule.common';

/** The host's cornerstone core and tools; throws when the cornerstone extension is not loaded. */
export function cornerstoneLibraries(host: OhifHost): CornerstoneLibraries {
  const get = host.extensionManager.getModuleEntry(CORNERSTONE_UTILITY)?.exports?.getCornerstoneLibraries;
  if (!get) throw new Error(`the viewer has no ${CORNERSTONE_UTILITY} (OHIF's cornerstone extension)`);
  return get() as CornerstoneLibraries;
}

export interface ActiveSeries {
  viewportId: string;
  displaySet: OhifDisplaySet;
}

/** The CT display set shown in the active viewport; throws a message for the user when there is none. */
export function activeCtSeries(services: OhifServices): ActiveSeries {
  const viewportId = services.viewportGridService.getActiveViewportId();
  const uids = services.viewportGridService.getDisplaySetsUIDsForViewport(viewportId) ?? [];
  const shown = uids
    .map((uid) => services.displaySetService.getDisplaySetByUID(uid))
    .filter((ds): ds is OhifDisplaySet => ds !== undefined);
  const ct = shown.find((ds) => ds.Modality === 'CT');
  if (!ct) {
    const what = shown.map((ds) => ds.Modality).join(', ') || 'nothing';
    throw new Error(`The active viewport shows ${what}; drag a CT series into it, then run again.`);
  }
  return { viewportId, displaySet: ct };
}

export interface DicomWebAccess {
  url: string;
  headers: Record<string, string>;
}

/** DICOMweb root and the logged-in user's headers of OHIF's active data source (the extension holds no credentials). */
export function activeDicomWeb(host: OhifHost): DicomWebAccess {
  const [source] = host.extensionManager.getActiveDataSource();
  const root = source?.getConfig()?.wadoRoot;
  if (!root)
    throw new Error(
      'The active data source has no DICOMweb (wadoRoot) address; results cannot be read or stored.',
    );
  const headers = host.services.userAuthenticationService?.getAuthorizationHeader() ?? {};
  return { url: new URL(root, window.location.href).href, headers };
}
