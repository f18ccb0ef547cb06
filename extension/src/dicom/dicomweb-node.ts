// Node only (CLI, tests): dicomweb-client needs an XMLHttpRequest, which Node lacks; xhr2 provides one.
import XHR2 from 'xhr2';

/** Pass as `createXhr` to DicomWebSource in Node. */
export const nodeXhr = (): XMLHttpRequest => new XHR2();
