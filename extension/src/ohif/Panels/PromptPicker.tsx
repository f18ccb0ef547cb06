// The model's classes as tickable prompts, filtered by a search box over class names and synonyms.
import { useMemo, useState } from 'react';
import type { ModelClass } from '../utils/modelRegistry.ts';
import { searchPrompts } from '../utils/promptSearch.ts';
import { styles } from './panelStyles.ts';

export interface PromptPickerProps {
  classes: ModelClass[];
  selected: ReadonlySet<string>;
  onToggle: (name: string) => void;
}

export function PromptPicker({ classes, selected, onToggle }: PromptPickerProps) {
  const [query, setQuery] = useState('');
  const matches = useMemo(() => searchPrompts(query, classes), [query, classes]);
  return (
    <div>
      <input
        type="search"
        data-testid="prompt-search"
        aria-label="Search structures by name or synonym"
        placeholder="Find a structure: liver, IVC, lesion…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        style={styles.search}
      />
      <div style={styles.muted} data-testid="prompt-summary">
        {selected.size} of {classes.length} selected
        {query.trim() ? ` · ${matches.length} match${matches.length === 1 ? '' : 'es'}` : ''}
      </div>
      {matches.length === 0 ? (
        <div style={{ ...styles.notice, marginTop: 6 }} data-testid="prompt-no-match">
          No structure of this model is called “{query.trim()}”.
        </div>
      ) : (
        <ul style={styles.list} data-testid="prompt-list">
          {matches.map(({ cls, viaSynonym }) => (
            <li key={cls.name}>
              <label style={styles.option} data-testid="prompt-option" data-name={cls.name}>
                <input type="checkbox" checked={selected.has(cls.name)} onChange={() => onToggle(cls.name)} />
                <span
                  style={{
                    ...styles.swatch,
                    background: cls.colour ? `rgb(${cls.colour.join(',')})` : 'transparent',
                    border: cls.colour ? 'none' : '1px solid #9aa7b4',
                  }}
                />
                <span>{cls.name}</span>
                {viaSynonym ? <span style={styles.muted}>({viaSynonym})</span> : null}
              </label>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
