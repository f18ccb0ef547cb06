// Reads the segmentations OHIF holds in the page, voxel by voxel, from the host's own objects (OHIF's
// segmentationService and cornerstone's image cache and metadata, which OHIF puts on `window`): each segment's voxels
// as CT slice (SOP Instance UID) + pixel index. What the viewer shows can so be compared with the engine's masks and
// with a stored SEG, independently of our extension's code.
import type { Page } from 'playwright-core';

/** One segment's voxels: pixel indices (row * columns + column) per CT slice, by SOP Instance UID. */
export type SliceVoxels = Record<string, number[]>;

export interface ViewerSegmentation {
  segmentationId: string;
  label: string;
  /** By segment label. */
  segments: Record<string, SliceVoxels>;
}

/**
 * Every labelmap segmentation in the viewer now, with its segments' voxels. A segmentation may hold several labelmap
 * layers (OHIF puts overlapping SEG segments on separate layers of one segmentation); each layer's label values map
 * to segments through the segmentation's segment bindings (by default the value is the segment index).
 */
export function readViewerSegmentations(page: Page): Promise<ViewerSegmentation[]> {
  return page.evaluate(() => {
    interface CsImage {
      referencedImageId?: string;
      voxelManager: { getScalarData(): ArrayLike<number> };
    }
    interface Layer {
      imageIds?: string[];
      referencedImageIds?: string[];
    }
    interface Host {
      services: {
        segmentationService: {
          getSegmentations(): {
            segmentationId: string;
            label: string;
            segments: Record<string, { segmentIndex: number; label: string } | undefined>;
            representationData: {
              Labelmap?: Layer & {
                labelmaps?: Record<string, Layer>;
                segmentBindings?: Record<string, { labelmapId: string; labelValue: number }>;
              };
            };
          }[];
        };
      };
      cornerstone: {
        cache: { getImage(id: string): CsImage | undefined };
        metaData: { get(type: string, id: string): { SOPInstanceUID?: string } | undefined };
      };
    }
    const { services, cornerstone } = window as unknown as Host;
    return services.segmentationService.getSegmentations().map((seg) => {
      const labelmap = seg.representationData.Labelmap;
      const layers = Object.entries(labelmap?.labelmaps ?? {});
      if (!layers.length && labelmap) layers.push(['', labelmap]);
      if (!layers.some(([, layer]) => layer.imageIds?.length)) {
        throw new Error(`segmentation ${seg.label} has no labelmap images`);
      }
      const labelOf = new Map<number, string>();
      for (const s of Object.values(seg.segments)) if (s) labelOf.set(s.segmentIndex, s.label);
      const segments: Record<string, Record<string, number[]>> = {};
      for (const label of labelOf.values()) segments[label] = {};
      for (const [layerId, layer] of layers) {
        // label value on this layer -> segment label
        const valueLabel = new Map<number, string>();
        for (const [index, label] of labelOf) {
          const binding = labelmap?.segmentBindings?.[index];
          if (!binding || !layerId || binding.labelmapId === layerId)
            valueLabel.set(binding?.labelValue ?? index, label);
        }
        (layer.imageIds ?? []).forEach((imageId, n) => {
          const image = cornerstone.cache.getImage(imageId);
          if (!image)
            throw new Error(`labelmap image ${imageId} of ${seg.label} is not in cornerstone's cache`);
          const source = image.referencedImageId ?? layer.referencedImageIds?.[n];
          const sop = source && cornerstone.metaData.get('instance', source)?.SOPInstanceUID;
          if (!sop) throw new Error(`labelmap image ${imageId} of ${seg.label} references no CT slice`);
          const data = image.voxelManager.getScalarData();
          for (let p = 0; p < data.length; p++) {
            const label = data[p] ? valueLabel.get(data[p]!) : undefined;
            if (label !== undefined) (segments[label]![sop] ??= []).push(p);
          }
        });
      }
      return { segmentationId: seg.segmentationId, label: seg.label, segments };
    });
  });
}

/** The union of a label's voxels over the given segmentations (a class may sit on any of them). */
export function segmentVoxels(segmentations: readonly ViewerSegmentation[], label: string): Set<string> {
  const out = new Set<string>();
  for (const seg of segmentations)
    for (const [sop, pixels] of Object.entries(seg.segments[label] ?? {}))
      for (const p of pixels) out.add(`${sop}:${p}`);
  return out;
}

/** Sørensen–Dice of two voxel sets; 1 when both are empty. */
export function dice(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (!a.size && !b.size) return 1;
  let both = 0;
  for (const v of a) if (b.has(v)) both++;
  return (2 * both) / (a.size + b.size);
}
