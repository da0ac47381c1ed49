import { defineConfig } from 'vite';

// served by the API at /console (functions/api/get-console.ts): one flat folder of hashed files
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    assetsDir: '',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1000,
  },
});
