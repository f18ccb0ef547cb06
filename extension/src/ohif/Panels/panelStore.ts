// The panel's user choices (model, ticked classes), kept outside the React root: OHIF unmounts a side panel when
// the user switches tabs (and the segmentation mode switches tabs by itself), and the choices must survive that.
import { useSyncExternalStore } from 'react';

export interface PanelChoices {
  /** The model the user picked; undefined = the registry's first. */
  modelId: string | undefined;
  /** Names of the ticked classes of that model. */
  selected: ReadonlySet<string>;
}

export interface PanelStore {
  get(): PanelChoices;
  subscribe(listener: () => void): () => void;
  /** Picks a model; its class selection starts empty. */
  selectModel(modelId: string): void;
  toggleClass(name: string): void;
  /** Ticks (or unticks) all the given classes at once: a group's "select all". */
  setClasses(names: readonly string[], ticked: boolean): void;
}

export function createPanelStore(): PanelStore {
  let choices: PanelChoices = { modelId: undefined, selected: new Set() };
  const listeners = new Set<() => void>();
  const set = (next: PanelChoices) => {
    choices = next;
    listeners.forEach((listener) => listener());
  };
  return {
    get: () => choices,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    selectModel(modelId) {
      if (modelId !== choices.modelId) set({ modelId, selected: new Set() });
    },
    toggleClass(name) {
      const selected = new Set(choices.selected);
      if (!selected.delete(name)) selected.add(name);
      set({ ...choices, selected });
    },
    setClasses(names, ticked) {
      const selected = new Set(choices.selected);
      for (const name of names) {
        if (ticked) selected.add(name);
        else selected.delete(name);
      }
      set({ ...choices, selected });
    },
  };
}

export const usePanelChoices = (store: PanelStore): PanelChoices =>
  useSyncExternalStore(store.subscribe, store.get);
