// The model's classes as tickable prompts: grouped as the manifest groups them (organs, GI tract, vessels, tumours)
// with a "select all" per group, or, while the user types, the classes the search finds by name, synonym or SNOMED
// CT code. Each
// class shows the continual-learning step that added it.
import { useMemo, useState } from 'react';
import type { ModelClass, ModelStep } from '../utils/modelRegistry.ts';
import { groupPrompts } from '../utils/promptGroups.ts';
import { searchPrompts } from '../utils/promptSearch.ts';
import { styles } from './panelStyles.ts';

export interface PromptPickerProps {
  classes: ModelClass[];
  steps: ModelStep[];
  selected: ReadonlySet<string>;
  onToggle: (name: string) => void;
  onSetMany: (names: string[], ticked: boolean) => void;
}

function stepTitle(step: number | undefined, steps: ModelStep[]): string | undefined {
  if (step === undefined) return undefined;
  const s = steps.find((x) => x.index === step);
  return s
    ? `Added in step ${step}: ${s.name} (${s.kind}${s.data ? `; data: ${s.data}` : ''})`
    : `Added in step ${step}`;
}

function PromptOption(props: {
  cls: ModelClass;
  viaSynonym?: string;
  viaCode?: string;
  steps: ModelStep[];
  checked: boolean;
  onToggle: (name: string) => void;
}) {
  const { cls, viaSynonym, viaCode, steps, checked, onToggle } = props;
  return (
    <li>
      <label style={styles.option} data-testid="prompt-option" data-name={cls.name}>
        <input type="checkbox" checked={checked} onChange={() => onToggle(cls.name)} />
        <span
          style={{
            ...styles.swatch,
            background: cls.colour ? `rgb(${cls.colour.join(',')})` : 'transparent',
            border: cls.colour ? 'none' : '1px solid #9aa7b4',
          }}
        />
        <span>{cls.name}</span>
        {viaSynonym || viaCode ? (
          <span style={styles.muted} data-testid="prompt-via">
            ({viaSynonym ?? viaCode})
          </span>
        ) : null}
        {cls.step !== undefined && (
          <span
            style={{ ...styles.muted, marginLeft: 'auto' }}
            title={stepTitle(cls.step, steps)}
            data-testid="class-step"
          >
            step {cls.step}
          </span>
        )}
      </label>
    </li>
  );
}

export function PromptPicker({ classes, steps, selected, onToggle, onSetMany }: PromptPickerProps) {
  const [query, setQuery] = useState('');
  const matches = useMemo(() => searchPrompts(query, classes), [query, classes]);
  const groups = useMemo(() => groupPrompts(classes), [classes]);
  const searching = query.trim() !== '';
  return (
    <div>
      <input
        type="search"
        data-testid="prompt-search"
        aria-label="Search structures by name, synonym or SNOMED CT code"
        placeholder="Find a structure: liver, IVC, lesion, 10200004…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        style={styles.search}
      />
      <div style={styles.muted} data-testid="prompt-summary">
        {selected.size} of {classes.length} selected
        {searching ? ` · ${matches.length} match${matches.length === 1 ? '' : 'es'}` : ''}
      </div>
      {searching && matches.length === 0 && (
        <div style={{ ...styles.notice, marginTop: 6 }} data-testid="prompt-no-match">
          No structure of this model has the name, synonym or code “{query.trim()}”.
        </div>
      )}
      {searching && matches.length > 0 && (
        <ul style={styles.list} data-testid="prompt-list">
          {matches.map(({ cls, viaSynonym, viaCode }) => (
            <PromptOption
              key={cls.name}
              cls={cls}
              viaSynonym={viaSynonym}
              viaCode={viaCode}
              steps={steps}
              checked={selected.has(cls.name)}
              onToggle={onToggle}
            />
          ))}
        </ul>
      )}
      {!searching && (
        <div data-testid="prompt-list">
          {groups.map((group) => {
            const names = group.classes.map((c) => c.name);
            const all = names.every((n) => selected.has(n));
            return (
              <div key={group.key} data-testid="prompt-group" data-group={group.key}>
                <div style={styles.groupHeader}>
                  <span style={styles.group}>{group.label}</span>
                  <button
                    type="button"
                    style={styles.linkButton}
                    aria-label={`${all ? 'Clear' : 'Select all'} ${group.label}`}
                    onClick={() => onSetMany(names, !all)}
                  >
                    {all ? 'Clear' : 'Select all'}
                  </button>
                </div>
                <ul style={styles.list}>
                  {group.classes.map((cls) => (
                    <PromptOption
                      key={cls.name}
                      cls={cls}
                      steps={steps}
                      checked={selected.has(cls.name)}
                      onToggle={onToggle}
                    />
                  ))}
                </ul>
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}
