// The part of OHIF 3.x's mode API this mode uses (OHIF ships no type declarations; checked against 3.13.2).

export interface ValidityQuery {
  /** Backslash-separated modalities of the study, e.g. "CT\\SEG". */
  modalities: string;
  study?: Record<string, unknown>;
}

export interface Validity {
  valid: boolean;
  description: string;
}

export interface LayoutInstance {
  id: string;
  props: { rightPanels: (string | string[])[] } & Record<string, unknown>;
}

export interface ModeRoute {
  path: string;
  /** Called as `route.layoutTemplate(...)`: OHIF's templates read `this.layoutInstance`. */
  layoutTemplate: (this: ModeRoute, args: unknown) => unknown;
  layoutInstance: LayoutInstance;
}

export interface ModeInstance {
  id: string;
  routeName: string;
  displayName: string;
  hide?: boolean;
  routes: ModeRoute[];
  /** Extension module specifiers (names or URLs) -> version ranges; OHIF imports and registers missing ones. */
  extensions: Record<string, string>;
  isValidMode: (query: ValidityQuery) => Validity;
  [key: string]: unknown;
}

/** What `modeFactory` receives from OHIF's app init. */
export interface ModeFactoryArgs {
  modeConfiguration?: Record<string, unknown>;
  /** Imports modes or extensions by name or URL (OHIF >= 3.13). */
  loadModules?: (specifiers: string[]) => Promise<unknown[]>;
}

/** A mode module as OHIF 3.13 exports it: the instance is made by `modeFactory`, called as a method. */
export interface ModeModule {
  id: string;
  modeFactory: (
    this: { modeInstance: ModeInstance },
    args: ModeFactoryArgs,
  ) => Promise<ModeInstance | null> | ModeInstance;
  modeInstance?: ModeInstance;
}
