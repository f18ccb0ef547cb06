/** Base URL of this bundle's folder at run time (webpack `publicPath: 'auto'` reads it from import.meta.url). */
declare const __webpack_public_path__: string;
