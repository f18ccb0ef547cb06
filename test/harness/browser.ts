// Headless Debian Chromium through playwright-core (never a downloaded browser), with a fresh profile, and a record
// of console errors, page errors and every request's origin so tests can assert "no console errors" and
// "no request to another origin".
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserOptions {
  /** Also pass `--enable-unsafe-webgpu --enable-unsafe-swiftshader` (WebGPU on the CPU). */
  webgpu?: boolean;
  viewport?: { width: number; height: number };
}

export interface ConsoleEntry {
  type: string;
  text: string;
  /** URL of the script that logged it, when Chromium reports one. */
  url: string;
}

export interface BrowserSession {
  readonly page: Page;
  readonly context: BrowserContext;
  /** console.error messages and uncaught page errors, in order. */
  readonly errors: ConsoleEntry[];
  /** Every console message, in order. */
  readonly console: ConsoleEntry[];
  /** Origin of every request the page made (data:/blob: URLs excluded). */
  readonly requestOrigins: Set<string>;
  /** URLs of requests whose origin is not `origin`. */
  foreignRequests(origin: string): string[];
  close(): Promise<void>;
}

/** Launches Chromium with a fresh --user-data-dir and opens one page. */
export async function launchBrowser(options: BrowserOptions = {}): Promise<BrowserSession> {
  const profile = await mkdtemp(path.join(tmpdir(), 'contseg-chromium-'));
  const args = [...CHROMIUM_FLAGS];
  if (options.webgpu) args.push('--enable-unsafe-webgpu', '--enable-unsafe-swiftshader');
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args,
      viewport: options.viewport ?? { width: 1600, height: 900 },
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: ConsoleEntry[] = [];
  const consoleEntries: ConsoleEntry[] = [];
  const requests: string[] = [];
  const requestOrigins = new Set<string>();

  page.on('console', (message) => {
    const entry = { type: message.type(), text: message.text(), url: message.location().url };
    consoleEntries.push(entry);
    if (entry.type === 'error') errors.push(entry);
  });
  page.on('pageerror', (error) => {
    const entry = {
      type: 'pageerror',
      text: `${error.name}: ${error.message}\n${error.stack ?? ''}`,
      url: '',
    };
    consoleEntries.push(entry);
    errors.push(entry);
  });
  context.on('request', (request) => {
    const url = request.url();
    if (url.startsWith('data:') || url.startsWith('blob:')) return;
    requests.push(url);
    requestOrigins.add(new URL(url).origin);
  });

  return {
    page,
    context,
    errors,
    console: consoleEntries,
    requestOrigins,
    foreignRequests: (origin) => requests.filter((url) => new URL(url).origin !== origin),
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
