// Where this package's own files are (package.json, page/, python/): one level above the module
// that asks. That holds for src/*.ts run through tsx and for dist/pi-agent.js bundled at prepack,
// where every module's import.meta.url is the bundle's — which is why this file stays at src/'s
// top and nothing below a folder of src/ resolves a path from its own import.meta.url.
export const PACKAGE_DIR = new URL('../', import.meta.url);
