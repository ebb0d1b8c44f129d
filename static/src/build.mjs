// Front-end build: USWDS (selected packages) -> static/build/.
//
//   static/src/styles.scss -> static/build/sm.css   (Dart Sass, compressed)
//   static/src/app.js      -> static/build/sm.js    (esbuild, iife, es2018)
//   USWDS images the CSS points at -> static/build/img/
//
// Run with `npm run build` (after `npm ci`). Works offline, safe to rerun:
// static/build/ is rebuilt from scratch each time. Exits non-zero on a
// compile error, a missing image, an @font-face in the CSS, or when the gzip
// size of sm.css + sm.js goes over the budget.

import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

import * as sass from "sass";
import * as esbuild from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const SRC = path.join(ROOT, "static", "src");
const OUT = path.join(ROOT, "static", "build");
const USWDS = path.join(ROOT, "node_modules", "@uswds", "uswds");
const USWDS_IMG = path.join(USWDS, "dist", "img");
const IMG_PREFIX = "img/"; // must match $theme-image-path in styles.scss

// gzip -9 size of sm.css + sm.js together must stay at or under this.
const GZIP_BUDGET = 45000;

function fail(message) {
  console.error(`build failed: ${message}`);
  process.exit(1);
}

function buildCss() {
  const result = sass.compile(path.join(SRC, "styles.scss"), {
    loadPaths: [path.join(USWDS, "packages")],
    style: "compressed",
    quietDeps: true,
    sourceMap: false,
  });
  const css = result.css;
  if (/@font-face/i.test(css)) {
    fail("sm.css contains @font-face; web fonts must not be loaded");
  }
  fs.writeFileSync(path.join(OUT, "sm.css"), css);
  return css;
}

async function buildJs() {
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(SRC, "app.js")],
    outfile: path.join(OUT, "sm.js"),
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2018",
    platform: "browser",
    legalComments: "none",
    logLevel: "warning",
  });
}

// Copy every image the compiled CSS refers to with url(img/...).
function copyImages(css) {
  const urls = new Set();
  for (const match of css.matchAll(/url\(\s*(['"]?)([^'")]+)\1\s*\)/g)) {
    const url = match[2].trim();
    if (url.startsWith("data:") || url.startsWith("#")) continue;
    if (!url.startsWith(IMG_PREFIX)) {
      fail(`unexpected url(${url}) in sm.css (expected ${IMG_PREFIX}...)`);
    }
    urls.add(url.split(/[?#]/)[0]);
  }
  for (const url of [...urls].sort()) {
    const rel = url.slice(IMG_PREFIX.length);
    const from = path.join(USWDS_IMG, rel);
    const to = path.join(OUT, "img", rel);
    if (!fs.existsSync(from)) fail(`sm.css refers to ${url}, not found at ${from}`);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
  return urls.size;
}

function sizes(file) {
  const data = fs.readFileSync(path.join(OUT, file));
  return { raw: data.length, gzip: zlib.gzipSync(data, { level: 9 }).length };
}

async function main() {
  if (!fs.existsSync(USWDS)) fail("node_modules/@uswds/uswds is missing; run `npm ci` first");

  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });

  const css = buildCss();
  await buildJs();
  const images = copyImages(css);

  let total = 0;
  for (const file of ["sm.css", "sm.js"]) {
    const { raw, gzip } = sizes(file);
    total += gzip;
    console.log(`static/build/${file}: ${raw} bytes raw, ${gzip} bytes gzip -9`);
  }
  console.log(`static/build/img/: ${images} image(s) copied`);
  console.log(`total gzip: ${total} bytes (budget ${GZIP_BUDGET})`);
  if (total > GZIP_BUDGET) fail(`gzip total ${total} is over the ${GZIP_BUDGET} byte budget`);
}

main().catch((error) => fail(error && error.stack ? error.stack : String(error)));
