import { defineConfig } from 'vite';

// The embeddable elements (src/index.ts) as one ES module with Lit and the codec inside, for a
// Tauri shell or any web page: dist/lib/pigeon.js. The browser element tests load this file.
export default defineConfig({
  build: {
    target: 'es2022',
    outDir: 'dist/lib',
    emptyOutDir: true,
    // The page's manifest, icons and service worker are the page's, not the library's.
    copyPublicDir: false,
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: 'pigeon' },
  },
});
