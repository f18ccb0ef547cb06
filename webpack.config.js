// Builds the extension and each mode as ES modules that the stock OHIF dist loads with native import()
// (app-config.js lists their URLs; see docs/install.md). React is bundled: the host's React is not importable.
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));

const modeEntries = Object.fromEntries(
  readdirSync(path.join(root, 'modes'))
    .filter((name) => existsSync(path.join(root, 'modes', name, 'src', 'index.ts')))
    .map((name) => [`mode-${name}`, path.join(root, 'modes', name, 'src', 'index.ts')]),
);

export default (env, argv) => ({
  mode: argv.mode ?? 'production',
  entry: {
    'extension-organ-tumour-ai': path.join(root, 'extension', 'src', 'index.ts'),
    ...modeEntries,
  },
  target: ['web', 'es2022'],
  experiments: { outputModule: true },
  output: {
    path: path.join(root, 'dist', 'ext'),
    filename: '[name].js',
    chunkFilename: 'chunks/[name].[contenthash:8].js',
    module: true,
    library: { type: 'module' },
    publicPath: 'auto',
    clean: true,
  },
  resolve: {
    extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'],
    extensionAlias: { '.js': ['.ts', '.tsx', '.js'] },
    // The DICOM codec builds reference fs/path only on their Node branch.
    fallback: { fs: false, path: false },
  },
  module: {
    rules: [{ test: /\.tsx?$/, loader: 'esbuild-loader', options: { target: 'es2022', jsx: 'automatic' } }],
  },
  devtool: 'source-map',
  performance: { hints: false },
});
