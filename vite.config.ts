import { defineConfig } from 'vite';
import { viteSingleFile } from 'vite-plugin-singlefile';

// One self-contained dist/index.html: it must open from disk on a network with no internet.
export default defineConfig({
  plugins: [viteSingleFile()],
  build: { target: 'es2022' },
});
