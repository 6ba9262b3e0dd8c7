/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The platform serves index.html at /admin (and every deep link under it) and the built files
// at /admin/assets/ (modules/kernel/frontends.py), so a build references its files from there.
// `npm run dev` serves the panel at /admin/ and sends the API to a `nija run` on port 8000.
export default defineConfig(({ command }) => ({
  base: command === "build" ? "/admin/assets/" : "/admin/",
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "",
    emptyOutDir: true,
    sourcemap: false,
    // No inline <script> or data: module: the CSP on /admin allows only this origin's files.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: {
    proxy: { "/v1": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "happy-dom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
}));
