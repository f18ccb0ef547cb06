// Run button, progress (stage, ETA, Cancel), and the results: one row per class with its colour, volume in mL,
// show/hide and jump; the backend and time; the confidence view; Store to PACS with Download/Retry when the store
// fails.
import { CONFIDENCE_BANDS } from '../utils/confidence.ts';
import type { ConfidenceState, RunSession, RunState, ResultClass, SaveState } from './runSession.ts';
import { styles } from './panelStyles.ts';

export interface RunSectionProps {
  session: RunSession;
  state: RunState;
  /** Ticked class names; empty disables Run. */
  classes: string[];
  manifestUrl: string;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
const ml = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2));
const BACKEND_NAMES = { webgpu: 'WebGPU', wasm: 'WebAssembly (CPU)' } as const;

function ResultRow({ cls, session }: { cls: ResultClass; session: RunSession }) {
  return (
    <li style={styles.resultRow} data-testid="result-class" data-name={cls.name}>
      <span style={{ ...styles.swatch, background: `rgb(${cls.colour.join(',')})` }} />
      <span style={{ flex: 1 }}>{cls.name}</span>
      <span data-testid="result-volume" data-ml={cls.volumeMl}>
        {cls.shown ? `${ml(cls.volumeMl)} mL` : 'not found'}
      </span>
      {cls.shown && (
        <>
          <button
            type="button"
            style={styles.smallButton}
            aria-label={`${cls.visible ? 'Hide' : 'Show'} ${cls.name}`}
            onClick={() => session.setVisible(cls.name, !cls.visible)}
          >
            {cls.visible ? 'Hide' : 'Show'}
          </button>
          <button
            type="button"
            style={styles.smallButton}
            aria-label={`Go to ${cls.name}`}
            onClick={() => session.jumpTo(cls.name)}
          >
            Go to
          </button>
        </>
      )}
    </li>
  );
}

function ConfidenceControls({ confidence, session }: { confidence: ConfidenceState; session: RunSession }) {
  const on = confidence.phase === 'shown' || confidence.phase === 'showing';
  const unsure = confidence.classes.filter((c) => c.ml.included > 0 || c.ml['left-out'] > 0);
  return (
    <div style={{ marginTop: 10 }} data-testid="confidence" data-phase={confidence.phase}>
      <label style={styles.option}>
        <input
          type="checkbox"
          checked={on}
          disabled={confidence.phase === 'showing' || !confidence.classes.length}
          onChange={() => void session.setConfidenceVisible(!on)}
        />
        <span>Show where the model was unsure</span>
      </label>
      {on && (
        <div style={styles.muted}>
          {CONFIDENCE_BANDS.map((band) => (
            <div key={band.key}>
              <span
                style={{
                  ...styles.swatch,
                  display: 'inline-block',
                  background: `rgb(${band.colour.join(',')})`,
                }}
              />{' '}
              {band.label} probability
            </div>
          ))}
          {unsure.length === 0 && <div>The model was sure (below 20 % or above 80 %) everywhere.</div>}
          <ul style={styles.list}>
            {unsure.map((c) => (
              <li
                key={c.name}
                data-testid="confidence-class"
                data-name={c.name}
                data-included-ml={c.ml.included}
                data-left-out-ml={c.ml['left-out']}
              >
                {c.name}: {ml(c.ml.included)} mL included, {ml(c.ml['left-out'])} mL left out
              </li>
            ))}
          </ul>
          <div>Not stored in the SEG; hide it before editing with the brush.</div>
        </div>
      )}
      {confidence.phase === 'unavailable' && (
        <div style={{ ...styles.muted, marginTop: 6 }} data-testid="confidence-unavailable">
          {confidence.message}
        </div>
      )}
      {confidence.phase === 'failed' && (
        <div style={{ ...styles.error, marginTop: 6 }} data-testid="confidence-error">
          {confidence.message}
        </div>
      )}
    </div>
  );
}

function SaveControls({ save, session }: { save: SaveState; session: RunSession }) {
  return (
    <div style={{ marginTop: 10 }} data-testid="save" data-phase={save.phase}>
      {save.phase !== 'stored' && (
        <button
          type="button"
          style={styles.button}
          disabled={save.phase === 'storing'}
          onClick={() => void session.store()}
        >
          {save.phase === 'storing' ? 'Storing…' : 'Store to PACS'}
        </button>
      )}
      {save.phase === 'stored' && (
        <div style={styles.success} data-testid="save-message">
          {save.message}
        </div>
      )}
      {save.phase === 'failed' && (
        <>
          <div style={{ ...styles.error, marginTop: 6 }} data-testid="save-message">
            {save.message}
          </div>
          {save.fileName && (
            <div style={{ display: 'flex', gap: 6, marginTop: 6 }}>
              <button type="button" style={styles.button} onClick={() => session.download()}>
                Download SEG
              </button>
              <button type="button" style={styles.button} onClick={() => void session.retry()}>
                Retry
              </button>
            </div>
          )}
        </>
      )}
    </div>
  );
}

export function RunSection({ session, state, classes, manifestUrl }: RunSectionProps) {
  const running = state.phase === 'running';
  return (
    <div style={styles.section} data-testid="run-section" data-phase={state.phase}>
      {running ? (
        <div data-testid="run-progress">
          <div style={styles.muted}>
            {state.progress.stage}
            {state.progress.etaMs !== undefined && state.progress.fraction < 1
              ? ` · about ${seconds(state.progress.etaMs)} left`
              : ''}
          </div>
          <progress style={styles.progress} max={1} value={state.progress.fraction} />
          <button type="button" style={styles.button} onClick={() => session.cancel()}>
            Cancel
          </button>
        </div>
      ) : (
        <button
          type="button"
          style={styles.primaryButton}
          disabled={!classes.length}
          title={classes.length ? undefined : 'Tick at least one structure'}
          onClick={() => void session.run({ manifestUrl, classes })}
        >
          {classes.length
            ? `Segment ${classes.length} structure${classes.length === 1 ? '' : 's'}`
            : 'Tick structures to segment'}
        </button>
      )}
      {state.phase === 'cancelled' && (
        <div style={{ ...styles.notice, marginTop: 6 }} data-testid="run-message">
          The run was cancelled; nothing was added to the viewer.
        </div>
      )}
      {state.phase === 'failed' && (
        <div style={{ ...styles.error, marginTop: 6 }} data-testid="run-error">
          {state.message}
        </div>
      )}
      {state.phase === 'done' && (
        <div data-testid="run-result">
          <div style={{ ...styles.muted, marginTop: 8 }} data-testid="run-summary">
            {state.result.model.id} {state.result.model.version} on {BACKEND_NAMES[state.result.backend]} ·{' '}
            {seconds(state.result.totalMs)}
            {state.result.fallback ? ` (${state.result.fallback})` : ''}
          </div>
          <div
            style={styles.muted}
            data-testid="image-source"
            data-from={state.result.imageSource.from}
            title={state.result.imageSource.from === 'dicomweb' ? state.result.imageSource.why : undefined}
          >
            {state.result.imageSource.from === 'viewer'
              ? "Images: the viewer's own copy (nothing downloaded again)"
              : 'Images: downloaded again from the PACS (the viewer did not hold them)'}
          </div>
          <ul style={styles.list}>
            {state.result.classes.map((cls) => (
              <ResultRow key={cls.name} cls={cls} session={session} />
            ))}
          </ul>
          <ConfidenceControls confidence={state.result.confidence} session={session} />
          <SaveControls save={state.result.save} session={session} />
        </div>
      )}
    </div>
  );
}
