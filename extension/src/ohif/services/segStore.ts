// Writes the shown classes (as they are in the viewer, brush edits included) as a DICOM SEG with the dicom/ writer
// and stores it by STOW-RS through the active data source.
import { DicomWebSource } from '../../dicom/dicomweb.ts';
import { segmentCodes } from '../../dicom/seg-codes.ts';
import { writeSegmentation, type WrittenSeg } from '../../dicom/seg-write.ts';
import type { SeriesPlan } from '../../dicom/series-geometry.ts';
import { storeSegmentation, type StoreOutcome } from '../../dicom/stow.ts';
import type { BoxedBytes } from '../../engine/boxed.ts';
import type { ManifestClass } from '../../engine/manifest.ts';
import type { DicomWebAccess } from './ohifHost.ts';

/** Writes a SEG from per-class masks on the plan's grid; classes left empty by edits are left out. */
export function writeSeg(
  plan: SeriesPlan,
  model: { id: string; version: string; classes: readonly ManifestClass[] },
  masks: ReadonlyMap<string, BoxedBytes>,
): WrittenSeg {
  const segments = [...masks].map(([name, mask]) => {
    const entry = model.classes.find((c) => c.name === name);
    if (!entry) throw new Error(`class "${name}" is not in model ${model.id} ${model.version}`);
    return { label: name, ...segmentCodes(entry as unknown as Record<string, unknown>), mask };
  });
  return writeSegmentation({
    plan,
    segments,
    algorithm: { id: model.id, version: model.version },
    seriesDescription: `AI organs & tumours (${model.id} ${model.version})`,
    contentLabel: 'AI_SEGMENTATION',
    contentDescription: `Segments by ${model.id} ${model.version}`,
  });
}

/** STOW-RS of written SEG bytes; never throws for a failed store (the outcome keeps the bytes). */
export function storeSeg(
  dicomWeb: DicomWebAccess,
  seg: { bytes: ArrayBuffer; studyInstanceUID: string; sopInstanceUID: string },
): Promise<StoreOutcome> {
  return storeSegmentation(new DicomWebSource({ url: dicomWeb.url, headers: dicomWeb.headers }), seg);
}

/** Offers the SEG file as a browser download. */
export function downloadSeg(bytes: ArrayBuffer, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/dicom' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
