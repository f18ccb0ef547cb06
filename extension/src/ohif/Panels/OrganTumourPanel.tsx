// The "Organ & tumour AI" side panel: which model is installed, and its classes as prompts to tick.
import { PANEL_TITLE } from '../id.ts';
import { usePanelChoices, type PanelStore } from './panelStore.ts';
import { PromptPicker } from './PromptPicker.tsx';
import { RunSection } from './RunSection.tsx';
import { useRunState, type RunSession } from './runSession.ts';
import { styles } from './panelStyles.ts';
import { useModelRegistry } from './useModelRegistry.ts';
import type { ModelStep } from '../utils/modelRegistry.ts';

export interface OrganTumourPanelProps {
  /** Base URL of the model registry (ends with '/'). */
  registryUrl: string;
  /** The user's choices, kept across unmounts. */
  store: PanelStore;
  /** The run and its results, kept across unmounts. */
  session: RunSession;
}

/** "Trained in 2 continual steps: 1 BTCV (full) → 2 LiTS (head-only)". */
function provenance(steps: ModelStep[]): string {
  if (!steps.length) return 'Training steps not recorded in this model.';
  const list = steps.map((s) => `${s.index} ${s.name}${s.kind ? ` (${s.kind})` : ''}`).join(' → ');
  return `Trained in ${steps.length} continual step${steps.length === 1 ? '' : 's'}: ${list}`;
}

export function OrganTumourPanel({ registryUrl, store, session }: OrganTumourPanelProps) {
  const { modelId, selected } = usePanelChoices(store);
  const run = useRunState(session);
  const { models, activeId, summary } = useModelRegistry(registryUrl, modelId);

  return (
    <section style={styles.panel} data-testid="organ-tumour-ai-panel">
      <h2 style={styles.title}>{PANEL_TITLE}</h2>
      {models.state === 'loading' && <div style={styles.muted}>Looking for models at {registryUrl} …</div>}
      {models.state === 'failed' && (
        <div
          style={models.error.kind === 'no-model' ? styles.notice : styles.error}
          data-testid="model-status"
          data-kind={models.error.kind}
        >
          {models.error.message}
        </div>
      )}
      {models.state === 'ready' && (
        <div data-testid="model-status" data-kind="ready">
          <label style={styles.muted}>
            Model
            <select
              style={styles.select}
              value={activeId}
              onChange={(e) => store.selectModel(e.target.value)}
              data-testid="model-select"
            >
              {models.value.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id} {m.version}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      {summary?.state === 'loading' && <div style={styles.muted}>Reading the model's classes …</div>}
      {summary?.state === 'failed' && (
        <div style={styles.error} data-testid="model-error">
          {summary.error.message}
        </div>
      )}
      {summary?.state === 'ready' && (
        <>
          <div style={styles.muted} data-testid="model-provenance">
            {provenance(summary.value.steps)}
          </div>
          <PromptPicker
            classes={summary.value.classes}
            steps={summary.value.steps}
            selected={selected}
            onToggle={store.toggleClass}
            onSetMany={store.setClasses}
          />
          <RunSection
            session={session}
            state={run}
            manifestUrl={summary.value.manifestUrl}
            classes={summary.value.classes.filter((c) => selected.has(c.name)).map((c) => c.name)}
          />
        </>
      )}
    </section>
  );
}
