// Puts segmentation masks into OHIF as labelmap segmentations and reads them back (with any brush edits).
// A labelmap holds one segment per voxel, so a class that overlaps a class already on a layer (a tumour inside its
// organ) goes on the next layer; each layer is one OHIF segmentation over the CT display set's slices. Every voxel
// of every mask is thus shown, and what is read back equals what was shown.
import {
  boxedOverlap,
  boxVoxels,
  emptyBoxed,
  growLabelBoxes,
  paintSlice,
  readSliceLabel,
  type Box,
  type BoxedBytes,
} from '../../engine/boxed.ts';
import type { CornerstoneLibraries, OhifDisplaySet, OhifSegmentationService } from './ohifHost.ts';

/** A class to display: its mask on a box of the volume grid (i fastest, then j, then slice k). */
export interface LayerClass {
  name: string;
  colour: [number, number, number];
  mask: BoxedBytes;
}

/** Where a class is shown: its segmentation (layer) and segment index. */
export interface ShownClass {
  name: string;
  segmentationId: string;
  segmentIndex: number;
}

export interface LayerGrid {
  /** Columns per row. */
  columns: number;
  /** Voxels per slice (columns x rows). */
  sliceSize: number;
  /** Slice index k in the volume of each SOP Instance UID. */
  sliceOf: ReadonlyMap<string, number>;
}

interface Deps {
  segmentationService: OhifSegmentationService;
  cs: CornerstoneLibraries;
}

/** Slice k of each labelmap image of a segmentation (via the CT image it was derived from). */
function labelmapSlices(segmentationId: string, grid: LayerGrid, { segmentationService, cs }: Deps) {
  const imageIds = segmentationService.getSegmentation(segmentationId)?.representationData.Labelmap?.imageIds;
  if (!imageIds?.length) throw new Error(`segmentation ${segmentationId} has no labelmap images`);
  return imageIds.map((imageId) => {
    const image = cs.cornerstone.cache.getImage(imageId);
    const source = image?.referencedImageId;
    const sop = source ? cs.cornerstone.metaData.get('instance', source)?.SOPInstanceUID : undefined;
    const k = sop === undefined ? undefined : grid.sliceOf.get(sop);
    if (!image || k === undefined) {
      throw new Error(`labelmap image ${imageId} does not match a slice of the segmented series`);
    }
    return { image, k };
  });
}

/** Classes in layers such that no two classes of a layer share a voxel; each class on the first layer it fits. */
export function stackLayers<C extends { mask: BoxedBytes }>(classes: readonly C[]): C[][] {
  const layers: C[][] = [];
  for (const cls of classes) {
    const layer = layers.find((l) => l.every((other) => !boxedOverlap(cls.mask, other.mask)));
    if (layer) layer.push(cls);
    else layers.push([cls]);
  }
  return layers;
}

/** Creates labelmap layers on the display set, fills them with the masks, shows them in the viewport. */
export async function showClasses(
  classes: readonly LayerClass[],
  displaySet: OhifDisplaySet,
  viewportId: string,
  grid: LayerGrid,
  title: string,
  deps: Deps,
): Promise<ShownClass[]> {
  const layers = stackLayers(classes);
  const shown: ShownClass[] = [];
  for (const [n, layer] of layers.entries()) {
    const segments = Object.fromEntries(
      layer.map((c, i) => [
        i + 1,
        { label: c.name, segmentIndex: i + 1, color: [...c.colour, 255] as [number, number, number, number] },
      ]),
    );
    const label = layers.length > 1 ? `${title} (layer ${n + 1})` : title;
    const segmentationId = await deps.segmentationService.createLabelmapForDisplaySet(displaySet, {
      label,
      segments,
    });
    for (const { image, k } of labelmapSlices(segmentationId, grid, deps)) {
      const data = new Uint8Array(grid.sliceSize);
      layer.forEach((c, i) => paintSlice(c.mask, k, data, grid.columns, i + 1));
      // Into the slice's own array: replacing it (voxelManager.setScalarData) would leave OHIF's brush painting
      // into the old array, unseen and never stored.
      const scalars = image.voxelManager.getScalarData();
      if (scalars.length !== grid.sliceSize) {
        throw new Error(`labelmap slice ${k} has ${scalars.length} pixels, the series ${grid.sliceSize}`);
      }
      scalars.set(data);
    }
    await deps.segmentationService.addSegmentationRepresentation(viewportId, { segmentationId });
    layer.forEach((c, i) => {
      deps.segmentationService.setSegmentColor(viewportId, segmentationId, i + 1, [...c.colour, 255]);
      shown.push({ name: c.name, segmentationId, segmentIndex: i + 1 });
    });
    deps.cs.cornerstoneTools.segmentation.triggerSegmentationEvents.triggerSegmentationDataModified(
      segmentationId,
    );
  }
  return shown;
}

/**
 * The current mask of each shown class as it is in the viewer now (including brush and eraser edits), each in the
 * box of its voxels: a first pass over the labelmap finds the boxes, a second fills them.
 */
export function readClasses(
  shown: readonly ShownClass[],
  grid: LayerGrid,
  deps: Deps,
): Map<string, BoxedBytes> {
  const masks = new Map<string, BoxedBytes>();
  for (const segmentationId of new Set(shown.map((s) => s.segmentationId))) {
    const ofLayer = shown.filter((s) => s.segmentationId === segmentationId);
    const slices = labelmapSlices(segmentationId, grid, deps);
    const boxes = new Map<number, Box>();
    for (const { image, k } of slices)
      growLabelBoxes(image.voxelManager.getScalarData(), grid.columns, k, boxes);
    for (const s of ofLayer) {
      const box = boxes.get(s.segmentIndex);
      masks.set(s.name, box ? { box, data: new Uint8Array(boxVoxels(box)) } : emptyBoxed());
    }
    for (const { image, k } of slices) {
      const data = image.voxelManager.getScalarData();
      for (const s of ofLayer) readSliceLabel(data, grid.columns, k, s.segmentIndex, masks.get(s.name)!);
    }
  }
  return masks;
}
