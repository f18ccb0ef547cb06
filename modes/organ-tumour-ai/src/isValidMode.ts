import type { Validity, ValidityQuery } from './types.ts';

/** The models segment CT only: the mode is offered for studies that contain a CT series. */
export function isValidMode({ modalities }: ValidityQuery): Validity {
  const list = (modalities ?? '').split('\\').map((m) => m.trim().toUpperCase());
  return list.includes('CT')
    ? { valid: true, description: 'The study has a CT series' }
    : { valid: false, description: 'Organ & tumour AI needs a CT series; this study has none' };
}
