// Test studies derived from one already in Orthanc: a copy of one instance under new UIDs with another modality,
// e.g. an "MR" study to prove that the mode is offered for CT only.
import dcmjs from 'dcmjs';
import { stowFiles } from './dicomweb.ts';
import type { Orthanc } from './orthanc.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SOP_CLASS_BY_MODALITY: Record<string, string> = {
  CT: '1.2.840.10008.5.1.4.1.1.2',
  MR: '1.2.840.10008.5.1.4.1.1.4',
};

/**
 * Stores a one-instance study copied from the first instance of `studyUid`, with new Study/Series/SOP UIDs, the
 * given modality (and its SOP class) and patient ID. Returns the new Study Instance UID.
 */
export async function storeCopyAsModality(
  orthanc: Orthanc,
  studyUid: string,
  modality: keyof typeof SOP_CLASS_BY_MODALITY,
  patientId: string,
): Promise<string> {
  const find = await fetch(`${orthanc.baseUrl}/tools/find`, {
    method: 'POST',
    body: JSON.stringify({ Level: 'Instance', Query: { StudyInstanceUID: studyUid }, Limit: 1 }),
  });
  const [instanceId] = (await find.json()) as string[];
  if (!instanceId) throw new Error(`Orthanc holds no instance of study ${studyUid}`);
  const part10 = await (await fetch(`${orthanc.baseUrl}/instances/${instanceId}/file`)).arrayBuffer();

  const file = dcmjs.data.DicomMessage.readFile(part10);
  const { uid } = dcmjs.data.DicomMetaDictionary;
  const sopInstanceUid = uid();
  const sopClassUid = SOP_CLASS_BY_MODALITY[modality]!;
  const set = (tag: string, vr: string, value: string) => (file.dict[tag] = { vr, Value: [value] });
  set('0020000D', 'UI', uid());
  set('0020000E', 'UI', uid());
  set('00080018', 'UI', sopInstanceUid);
  set('00080016', 'UI', sopClassUid);
  set('00080060', 'CS', modality);
  set('00100020', 'LO', patientId);
  set('00100010', 'PN', `Derived^${modality}`);
  file.meta['00020003'] = { vr: 'UI', Value: [sopInstanceUid] };
  file.meta['00020002'] = { vr: 'UI', Value: [sopClassUid] };

  const dir = await mkdtemp(path.join(tmpdir(), 'contseg-derived-'));
  try {
    const out = path.join(dir, 'derived.dcm');
    await writeFile(out, new Uint8Array(file.write()));
    const [study] = await stowFiles(orthanc.dicomWebUrl, [out]);
    if (!study) throw new Error('STOW-RS stored no study');
    return study;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
