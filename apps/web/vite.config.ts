import { defineConfig } from 'vite';

// Preact's JSX through esbuild's automatic runtime: no plugin needed for a production build.
export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist/public', emptyOutDir: true, target: 'es2022', sourcemap: true },
});
