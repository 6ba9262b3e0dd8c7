// Lays the web export (dist/) out the way the platform serves a single-page app
// (modules/kernel/frontends.py): index.html at /app and every other file under /app/assets/,
// which maps to dist/. Expo writes its bundle to dist/_expo/ (linked as /app/_expo/) and images
// to dist/assets/ (linked as /app/assets/...): the bundle's link moves under /app/assets/ and
// the images move up to dist/, so each link names its file.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dist = process.argv[2] ?? "dist";
const base = "/app";
const index = join(dist, "index.html");
const html = readFileSync(index, "utf8");
const moved = html.replaceAll(`"${base}/_expo/`, `"${base}/assets/_expo/`);
if (!moved.includes(`${base}/assets/_expo/`)) throw new Error(`no ${base}/_expo/ script in ${index}`);
writeFileSync(index, moved);
const images = join(dist, "assets");
if (existsSync(images)) {
  cpSync(images, dist, { recursive: true });
  rmSync(images, { recursive: true });
}
console.log(`web layout: ${index} loads its bundle from ${base}/assets/`);
