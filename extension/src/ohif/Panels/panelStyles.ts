// Inline styles of the panel: it renders inside OHIF's dark theme without relying on the host's CSS class names,
// which change between OHIF releases.
import type { CSSProperties } from 'react';

export const styles = {
  panel: { padding: '10px 12px', color: '#e6edf3', fontSize: 13, lineHeight: 1.4 },
  title: { fontSize: 15, fontWeight: 600, margin: '0 0 8px' },
  muted: { color: '#9aa7b4', fontSize: 12 },
  notice: {
    padding: '8px 10px',
    borderRadius: 4,
    background: '#1c2630',
    border: '1px solid #2f3d4a',
    overflowWrap: 'anywhere',
  },
  error: {
    padding: '8px 10px',
    borderRadius: 4,
    background: '#3a1d1d',
    border: '1px solid #7a3030',
    overflowWrap: 'anywhere',
  },
  select: {
    width: '100%',
    marginTop: 4,
    background: '#0d1117',
    color: '#e6edf3',
    border: '1px solid #2f3d4a',
  },
  search: {
    width: '100%',
    boxSizing: 'border-box',
    margin: '10px 0 6px',
    padding: '6px 8px',
    borderRadius: 4,
    background: '#0d1117',
    color: '#e6edf3',
    border: '1px solid #3d5a73',
    outline: 'none',
  },
  list: { listStyle: 'none', margin: 0, padding: 0 },
  option: { display: 'flex', alignItems: 'center', gap: 8, padding: '3px 2px', cursor: 'pointer' },
  swatch: { width: 10, height: 10, borderRadius: 2, flex: 'none' },
} satisfies Record<string, CSSProperties>;
