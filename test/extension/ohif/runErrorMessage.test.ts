// What the panel says for each kind of failure of a run: a lead-in in the user's terms plus the original detail,
// never an empty message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DicomError } from '../../../extension/src/dicom/errors.ts';
import { DicomWebError } from '../../../extension/src/dicom/dicomweb.ts';
import { EngineError } from '../../../extension/src/engine/errors.ts';
import { runErrorMessage } from '../../../extension/src/ohif/utils/runErrorMessage.ts';

test('engine, DICOM and DICOMweb failures get a lead-in and keep their detail', () => {
  assert.equal(
    runErrorMessage(new EngineError('integrity', 'heads.onnx is truncated: 10 of 20 bytes arrived')),
    'The installed model is damaged or incomplete; ask your administrator to reinstall it. ' +
      '(heads.onnx is truncated: 10 of 20 bytes arrived)',
  );
  assert.equal(
    runErrorMessage(new EngineError('bad-spacing', 'spacing must be positive, got [0, 1, 1]')),
    'This CT cannot be segmented: spacing must be positive, got [0, 1, 1]',
  );
  assert.equal(
    runErrorMessage(new DicomError('missing-slice', 'a slice is missing between z=10 and z=20')),
    'This series cannot be segmented as one CT volume: a slice is missing between z=10 and z=20',
  );
  assert.match(
    runErrorMessage(new DicomWebError('http', 'HTTP 500 from /dicom-web', '/dicom-web', 500)),
    /^Reading the images from the PACS failed: HTTP 500/,
  );
  assert.equal(
    runErrorMessage(new Error('The active viewport shows nothing')),
    'The active viewport shows nothing',
  );
  assert.equal(runErrorMessage('plain'), 'plain');
});
