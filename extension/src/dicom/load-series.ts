// One CT series from a DICOMweb server to a Volume: WADO-RS metadata -> plan (sort, checks) -> WADO-RS frames
// -> decode -> Volume. The plan is returned too: the SEG writer needs the source slices in volume order.
import type { Volume } from '../engine/volume.ts';
import type { DicomWebSource } from './dicomweb.ts';
import { DicomError } from './errors.ts';
import { detectTransferSyntax, type FrameDecoder } from './frame-decode.ts';
import { planSeries, type SeriesPlan } from './series-geometry.ts';
import { sliceHeaderFromDicomJson } from './slice-header.ts';
import { buildVolume } from './volume-build.ts';

export interface LoadOptions {
  decoder: FrameDecoder;
  /** Instances fetched and decoded at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: { stage: 'metadata' | 'frames'; done: number; total: number }) => void;
}

export interface LoadedSeries {
  volume: Volume;
  plan: SeriesPlan;
}

/** Loads and checks a series; throws DicomError for series that are not one regular CT volume, DicomWebError for I/O. */
export async function loadSeriesVolume(
  source: DicomWebSource,
  studyInstanceUID: string,
  seriesInstanceUID: string,
  options: LoadOptions,
): Promise<LoadedSeries> {
  options.onProgress?.({ stage: 'metadata', done: 0, total: 1 });
  const metadata = await source.seriesMetadata(studyInstanceUID, seriesInstanceUID, options.signal);
  options.onProgress?.({ stage: 'metadata', done: 1, total: 1 });
  const plan = planSeries(metadata.map(sliceHeaderFromDicomJson));
  const volume = await buildVolume(
    plan,
    async (slice) => {
      const frame = await source.frame(
        studyInstanceUID,
        seriesInstanceUID,
        slice.sopInstanceUID,
        1,
        options.signal,
      );
      const transferSyntaxUID = frame.transferSyntaxUID ?? detectTransferSyntax(frame.bytes, slice);
      if (!transferSyntaxUID) {
        throw new DicomError(
          'unsupported-transfer-syntax',
          `the server did not say how the pixel data of ${slice.sopInstanceUID} is encoded and it is not a ` +
            `recognised encoding (JPEG, JPEG-LS, JPEG 2000, RLE or uncompressed)`,
        );
      }
      return { bytes: frame.bytes, transferSyntaxUID };
    },
    options.decoder,
    options,
  );
  return { volume, plan };
}
