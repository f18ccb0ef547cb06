// DICOMweb access through dicomweb-client: QIDO-RS search, WADO-RS metadata and instances, STOW-RS. Every request
// has a timeout and maps failures to DicomWebError (unreachable / timeout / aborted / http). Headers such as
// Authorization are sent, never logged: dicomweb-client's own console logging is switched off.
import { api } from 'dicomweb-client';
import type { DicomJsonDataset } from 'dcmjs';

export type DicomWebFailure = 'unreachable' | 'timeout' | 'aborted' | 'http';

/** A failed DICOMweb request. `url` never carries credentials; `body` is the server's answer, when it sent one. */
export class DicomWebError extends Error {
  readonly kind: DicomWebFailure;
  readonly status: number | undefined;
  readonly url: string;
  readonly body: string | undefined;
  constructor(kind: DicomWebFailure, message: string, url: string, status?: number, body?: string) {
    super(message);
    this.name = 'DicomWebError';
    this.kind = kind;
    this.url = url;
    this.status = status;
    this.body = body;
  }
}

export interface DicomWebOptions {
  /** DICOMweb root (QIDO, WADO-RS and STOW-RS share it), e.g. https://pacs.example.org/dicom-web */
  url: string;
  /** Extra request headers, e.g. { Authorization: 'Bearer ...' }. Sent with every request, never logged. */
  headers?: Record<string, string>;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  /** Makes the XMLHttpRequest for each request: the browser's by default; in Node pass `nodeXhr` (dicomweb-node.ts). */
  createXhr?: () => XMLHttpRequest;
}

export interface StudySummary {
  studyInstanceUID: string;
  patientName: string;
  patientID: string;
  studyDate: string;
  studyDescription: string;
  modalitiesInStudy: string[];
}

export interface SeriesSummary {
  seriesInstanceUID: string;
  modality: string;
  seriesNumber: number | undefined;
  seriesDescription: string;
  numberOfInstances: number | undefined;
}

/** What a store request returned when the server answered 2xx: HTTP status and the response body (DICOM JSON). */
export interface StowResponse {
  status: 200 | 202;
  body: DicomJsonDataset | undefined;
  text: string;
}

type RequestOptions = { instance: XMLHttpRequest };

/** The calls used, as dicomweb-client 0.11.3 implements them (its bundled declarations omit `request`). */
interface Client {
  searchForStudies(o: {
    queryParams: Record<string, string>;
    request: RequestOptions;
  }): Promise<DicomJsonDataset[]>;
  searchForSeries(o: { studyInstanceUID: string; request: RequestOptions }): Promise<DicomJsonDataset[]>;
  retrieveSeriesMetadata(o: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    request: RequestOptions;
  }): Promise<DicomJsonDataset[]>;
  retrieveInstance(o: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    sopInstanceUID: string;
    request: RequestOptions;
  }): Promise<unknown>;
  retrieveInstanceFrames(o: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    sopInstanceUID: string;
    frameNumbers: number[];
    mediaTypes: { mediaType: string; transferSyntaxUID?: string }[];
    request: RequestOptions;
  }): Promise<unknown[]>;
  storeInstances(o: {
    datasets: ArrayBuffer[];
    studyInstanceUID: string;
    request: RequestOptions;
  }): Promise<unknown>;
}
type ClientError = Error & { status?: number; response?: unknown };

const textOf = (v: unknown): string => {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (v instanceof ArrayBuffer) return new TextDecoder().decode(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
};

/** First value of a DICOM JSON attribute as text ('' when absent). PN values give their Alphabetic form. */
export function jsonString(dataset: DicomJsonDataset, tag: string): string {
  const v = dataset[tag]?.Value?.[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object' && 'Alphabetic' in (v as object))
    return String((v as { Alphabetic: unknown }).Alphabetic);
  return String(v);
}

const jsonNumber = (dataset: DicomJsonDataset, tag: string): number | undefined => {
  const s = jsonString(dataset, tag);
  return s === '' ? undefined : Number(s);
};

/** One DICOMweb server. Each call takes an optional AbortSignal. */
export class DicomWebSource {
  readonly url: string;
  private readonly client: Client;
  private readonly timeoutMs: number;
  private readonly createXhr: () => XMLHttpRequest;

  constructor(options: DicomWebOptions) {
    if (!/^https?:\/\//.test(options.url)) {
      throw new Error(`the DICOMweb URL must start with http:// or https://, got "${options.url}"`);
    }
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.createXhr = options.createXhr ?? (() => new XMLHttpRequest());
    this.client = new api.DICOMwebClient({
      url: this.url,
      headers: { ...(options.headers ?? {}) },
      verbose: false,
      singlepart: false,
    }) as unknown as Client;
  }

  /**
   * Runs one dicomweb-client call with a fresh XMLHttpRequest, a timeout and abort support; maps its failures.
   * Timeout and abort settle the call themselves (not every XMLHttpRequest reports an abort as a finished request).
   */
  private async request<T>(
    what: string,
    url: string,
    call: (request: RequestOptions) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    signal?.throwIfAborted();
    const instance = this.createXhr();
    let stop: (why: 'timeout' | 'aborted') => void = () => undefined;
    const stopped = new Promise<never>((_, reject) => {
      stop = (why) => {
        reject(
          why === 'timeout'
            ? new DicomWebError(
                'timeout',
                `${what}: no answer from ${url} within ${this.timeoutMs / 1000} s`,
                url,
              )
            : new DicomWebError('aborted', `${what}: cancelled`, url),
        );
        instance.abort();
      };
    });
    const timer = setTimeout(() => stop('timeout'), this.timeoutMs);
    const onAbort = () => stop('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await Promise.race([call({ instance }), stopped]);
    } catch (err) {
      if (err instanceof DicomWebError) throw err;
      const status = (err as ClientError).status;
      if (status) {
        const body = textOf((err as ClientError).response);
        throw new DicomWebError('http', `${what}: HTTP ${status} from ${url}`, url, status, body);
      }
      if (status === 0) throw new DicomWebError('unreachable', `${what}: cannot connect to ${url}`, url);
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** QIDO-RS studies, newest first as the server orders them. `query` holds QIDO parameters (PatientID, ...). */
  async searchStudies(query: Record<string, string> = {}, signal?: AbortSignal): Promise<StudySummary[]> {
    const found = await this.request(
      'QIDO-RS study search',
      `${this.url}/studies`,
      (request) => this.client.searchForStudies({ queryParams: query, request }),
      signal,
    );
    return (found ?? []).map((s) => ({
      studyInstanceUID: jsonString(s, '0020000D'),
      patientName: jsonString(s, '00100010'),
      patientID: jsonString(s, '00100020'),
      studyDate: jsonString(s, '00080020'),
      studyDescription: jsonString(s, '00081030'),
      modalitiesInStudy: (s['00080061']?.Value ?? []).map(String),
    }));
  }

  /** QIDO-RS series of one study. */
  async searchSeries(studyInstanceUID: string, signal?: AbortSignal): Promise<SeriesSummary[]> {
    const found = await this.request(
      'QIDO-RS series search',
      `${this.url}/studies/${studyInstanceUID}/series`,
      (request) => this.client.searchForSeries({ studyInstanceUID, request }),
      signal,
    );
    return (found ?? []).map((s) => ({
      seriesInstanceUID: jsonString(s, '0020000E'),
      modality: jsonString(s, '00080060'),
      seriesNumber: jsonNumber(s, '00200011'),
      seriesDescription: jsonString(s, '0008103E'),
      numberOfInstances: jsonNumber(s, '00201209'),
    }));
  }

  /** WADO-RS metadata of every instance of a series (DICOM JSON model). */
  async seriesMetadata(
    studyInstanceUID: string,
    seriesInstanceUID: string,
    signal?: AbortSignal,
  ): Promise<DicomJsonDataset[]> {
    const url = `${this.url}/studies/${studyInstanceUID}/series/${seriesInstanceUID}/metadata`;
    const found = await this.request(
      'WADO-RS series metadata',
      url,
      (request) => this.client.retrieveSeriesMetadata({ studyInstanceUID, seriesInstanceUID, request }),
      signal,
    );
    return found ?? [];
  }

  /**
   * WADO-RS one frame in the transfer syntax the server holds (`transfer-syntax=*`), so compressed pixel data
   * travels compressed and is decoded here. `transferSyntaxUID` is what the response declared, if anything.
   */
  async frame(
    studyInstanceUID: string,
    seriesInstanceUID: string,
    sopInstanceUID: string,
    frameNumber = 1,
    signal?: AbortSignal,
  ): Promise<{ bytes: Uint8Array; transferSyntaxUID: string | undefined }> {
    const url =
      `${this.url}/studies/${studyInstanceUID}/series/${seriesInstanceUID}/instances/${sopInstanceUID}` +
      `/frames/${frameNumber}`;
    let xhr: XMLHttpRequest | undefined;
    const parts = await this.request(
      'WADO-RS frame',
      url,
      (request) => {
        xhr = request.instance;
        return this.client.retrieveInstanceFrames({
          studyInstanceUID,
          seriesInstanceUID,
          sopInstanceUID,
          frameNumbers: [frameNumber],
          mediaTypes: [{ mediaType: 'application/octet-stream', transferSyntaxUID: '*' }],
          request,
        });
      },
      signal,
    );
    const part = parts?.[0];
    if (!(part instanceof ArrayBuffer)) {
      throw new DicomWebError('http', `WADO-RS frame: ${url} returned no frame`, url, 200);
    }
    const declared = /transfer-syntax="?([0-9.]+)/.exec(xhr?.getResponseHeader('Content-Type') ?? '')?.[1];
    return { bytes: new Uint8Array(part), transferSyntaxUID: declared };
  }

  /** WADO-RS one instance as a Part 10 file (the server's default transfer syntax). */
  async instance(
    studyInstanceUID: string,
    seriesInstanceUID: string,
    sopInstanceUID: string,
    signal?: AbortSignal,
  ): Promise<ArrayBuffer> {
    const url = `${this.url}/studies/${studyInstanceUID}/series/${seriesInstanceUID}/instances/${sopInstanceUID}`;
    const part = await this.request(
      'WADO-RS instance',
      url,
      (request) =>
        this.client.retrieveInstance({ studyInstanceUID, seriesInstanceUID, sopInstanceUID, request }),
      signal,
    );
    if (!(part instanceof ArrayBuffer)) {
      throw new DicomWebError('http', `WADO-RS instance: ${url} returned no DICOM part`, url, 200);
    }
    return part;
  }

  /** STOW-RS Part 10 files to a study. Resolves on 200/202 with the parsed response; rejects with DicomWebError. */
  async store(
    datasets: ArrayBuffer[],
    studyInstanceUID: string,
    signal?: AbortSignal,
  ): Promise<StowResponse> {
    const url = `${this.url}/studies/${studyInstanceUID}`;
    let xhr: XMLHttpRequest | undefined;
    const response = await this.request(
      'STOW-RS',
      url,
      (request) => {
        xhr = request.instance;
        return this.client.storeInstances({ datasets, studyInstanceUID, request });
      },
      signal,
    );
    const status = xhr?.status === 202 ? 202 : 200;
    const text = textOf(response);
    let body: DicomJsonDataset | undefined;
    try {
      body = text ? (JSON.parse(text) as DicomJsonDataset) : undefined;
    } catch {
      body = undefined; // XML or empty: the status alone tells the outcome
    }
    return { status, body, text };
  }
}
