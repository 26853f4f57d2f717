// Injected into the CommonJS bundles (scripts/build.mjs): what `import.meta.url` stands for there.
export const __ouwatchImportMetaUrl = require('node:url').pathToFileURL(__filename).href;
