// Where the end-to-end tests save their screenshots: test-results/screenshots/ (git-ignored) by default, so a test
// run never rewrites tracked files; docs/screenshots/ (shown by docs/user-guide.md) when
// CONTSEG_DOCS_SCREENSHOTS=1 asks to refresh the documentation's pictures.
import path from 'node:path';
import { REPO_ROOT } from './viewer-server.ts';

export const SCREENSHOT_DIR =
  process.env.CONTSEG_DOCS_SCREENSHOTS === '1'
    ? path.join(REPO_ROOT, 'docs', 'screenshots')
    : path.join(REPO_ROOT, 'test-results', 'screenshots');
