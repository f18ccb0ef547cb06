// The CT volume from what OHIF already holds: slice headers from OHIF's metadata store and voxels from cornerstone's
// image cache (images the viewport has not fetched yet are loaded by cornerstone's own loader, with the user's
// session), checked and ordered by the same planner as the DICOMweb path, so the SEG writer gets the same plan.
import type { Volume } from '../../engine/volume.ts';
import type { NaturalDataset } from 'dcmjs';
import { planSeries, type SeriesPlan } from '../../dicom/series-geometry.ts';
import { sliceHeaderFromDataset } from '../../dicom/slice-header.ts';
import { VolumeAssembler } from '../../dicom/volume-build.ts';
import type { CornerstoneLibraries, OhifDisplaySet } from './ohifHost.ts';

export interface ViewerImage {
  voxelManager: { getScalarData(): ArrayLike<number> };
  /** Set by cornerstone when the loader already applied RescaleSlope/Intercept (the values are HU). */
  preScale?: { scaled?: boolean };
}

/** Thrown when OHIF lacks what this path needs (metadata or pixels); the caller then reads the series by DICOMweb. */
export class ViewerDataUnavailable extends Error {
  override readonly name = 'ViewerDataUnavailable';
}

/** Volume and plan of a display set from the viewer's memory; DicomError for series that are not one regular CT volume. */
export async function volumeFromViewer(
  displaySet: OhifDisplaySet,
  cs: CornerstoneLibraries,
  options: { signal: AbortSignal; onProgress: (done: number, total: number) => void },
): Promise<{ volume: Volume; plan: SeriesPlan }> {
  const imageIdOf = new Map<string, string>();
  const headers = displaySet.imageIds.map((imageId) => {
    const instance = cs.cornerstone.metaData.get('instance', imageId) as NaturalDataset | undefined;
    if (!instance?.SOPInstanceUID) throw new ViewerDataUnavailable(`no metadata for ${imageId}`);
    let header;
    try {
      header = sliceHeaderFromDataset(instance);
    } catch (err) {
      throw new ViewerDataUnavailable((err as Error).message);
    }
    imageIdOf.set(header.sopInstanceUID, imageId);
    return header;
  });
  const plan = planSeries(headers);
  const assembler = new VolumeAssembler(plan);
  const total = plan.slices.length;
  for (const [k, slice] of plan.slices.entries()) {
    options.signal.throwIfAborted();
    const imageId = imageIdOf.get(slice.sopInstanceUID)!;
    const image = (cs.cornerstone.cache.getImage(imageId) ??
      (await cs.cornerstone.imageLoader.loadAndCacheImage(imageId))) as ViewerImage | undefined;
    const data = image?.voxelManager.getScalarData();
    if (!image || !data) throw new ViewerDataUnavailable(`cornerstone has no pixels for ${imageId}`);
    const values = Int32Array.from(data);
    if (values.some((v, n) => v !== data[n])) {
      throw new ViewerDataUnavailable(`the viewer holds non-integer values for ${imageId}`);
    }
    if (image.preScale?.scaled) assembler.setSlice(k, values, 1, 0);
    else assembler.setSlice(k, values, slice.rescaleSlope, slice.rescaleIntercept);
    options.onProgress(k + 1, total);
  }
  return { volume: assembler.finish(), plan };
}
