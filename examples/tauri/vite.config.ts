import { defineConfig } from 'vite';

// Tauri loads the built page from src-tauri's frontendDist (../dist); `tauri dev` from this server.
export default defineConfig({
  base: './',
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: { target: 'es2022' },
});
