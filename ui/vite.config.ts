import { defineConfig } from "vite";

// The built UI is embedded into the desktop binary by Tauri (frontendDist).
export default defineConfig({
  clearScreen: false,
  build: {
    target: "safari15",
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
  },
});
