// Front-end build: USWDS (selected packages) -> static/build/.
//
//   static/src/styles.scss -> static/build/sm.css   (Dart Sass, compressed)
//   static/src/app.js      -> static/build/sm.js    (esbuild, iife, es2018)
//   USWDS images the CSS points at -> inlined into sm.css as data: URIs
//
// Pages load only sm.css and sm.js: every url("img/....svg") in the compiled
// CSS is replaced with a URL-encoded (not base64: it gzips better) SVG data:
// URI. Any other image the CSS points at would still be copied to
// static/build/img/ (there are none today). Run with `npm run build` (after
// `npm ci`). Works offline, safe to rerun: static/build/ is rebuilt from
// scratch each time. Exits non-zero on a compile error, a missing image, an
// @font-face in the CSS, or when the gzip size of sm.css + sm.js goes over
// the budget.

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

// Every url(...) in the compiled CSS. Empty url("") (USWDS leaves a few) and
// data:/fragment URLs are left alone; anything else must be under img/.
const URL_RE = /url\(\s*(['"]?)([^'")]*)\1\s*\)/g;

function imagePath(url) {
  if (!url.startsWith(IMG_PREFIX)) {
    fail(`unexpected url(${url}) in sm.css (expected ${IMG_PREFIX}...)`);
  }
  const rel = url.split(/[?#]/)[0].slice(IMG_PREFIX.length);
  const from = path.join(USWDS_IMG, rel);
  if (!fs.existsSync(from)) fail(`sm.css refers to ${url}, not found at ${from}`);
  return { rel, from };
}

// SVG text -> `data:image/svg+xml,...` for use inside url("..."): whitespace
// collapsed, the XML declaration and comments dropped, double quotes turned
// into single quotes (or %22 if the SVG already uses single quotes), and only
// the characters that are unsafe in a data: URL or a double-quoted CSS string
// percent-encoded (%, #, <, >, ", \, control and non-ASCII characters, ...).
function svgDataUri(svg) {
  let text = svg
    .replace(/^\uFEFF/, "")
    .replace(/<\?xml[^>]*\?>/gi, "")
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/\s+/g, " ")
    .replace(/>\s+</g, "><")
    .trim();
  if (!text.includes("'")) text = text.replace(/"/g, "'");
  const encoded = text.replace(/[^ -~]|[%#<>"\\{}|^`\[\]?]/gu, (ch) => encodeURIComponent(ch));
  return `data:image/svg+xml,${encoded}`;
}

// Inline every SVG the CSS refers to with url(img/...); copy any other image
// to static/build/img/. Fails on a missing image or a URL outside img/.
function inlineImages(css) {
  const cache = new Map();
  const copied = new Set();
  const out = css.replace(URL_RE, (whole, quote, rawUrl) => {
    const url = rawUrl.trim();
    if (url === "" || url.startsWith("data:") || url.startsWith("#")) return whole;
    const { rel, from } = imagePath(url);
    if (!/\.svg$/i.test(rel)) {
      const to = path.join(OUT, "img", rel);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
      copied.add(rel);
      return whole;
    }
    if (!cache.has(rel)) cache.set(rel, svgDataUri(fs.readFileSync(from, "utf8")));
    return `url("${cache.get(rel)}")`;
  });
  return { css: out, inlined: cache.size, copied: copied.size };
}

function sizes(file) {
  const data = fs.readFileSync(path.join(OUT, file));
  return { raw: data.length, gzip: zlib.gzipSync(data, { level: 9 }).length };
}

async function main() {
  if (!fs.existsSync(USWDS)) fail("node_modules/@uswds/uswds is missing; run `npm ci` first");

  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });

  const images = inlineImages(buildCss());
  fs.writeFileSync(path.join(OUT, "sm.css"), images.css);
  await buildJs();

  let total = 0;
  for (const file of ["sm.css", "sm.js"]) {
    const { raw, gzip } = sizes(file);
    total += gzip;
    console.log(`static/build/${file}: ${raw} bytes raw, ${gzip} bytes gzip -9`);
  }
  console.log(`sm.css: ${images.inlined} SVG image(s) inlined as data: URIs, ${images.copied} other image(s) copied to static/build/img/`);
  console.log(`total gzip: ${total} bytes (budget ${GZIP_BUDGET})`);
  if (total > GZIP_BUDGET) fail(`gzip total ${total} is over the ${GZIP_BUDGET} byte budget`);
}

main().catch((error) => fail(error && error.stack ? error.stack : String(error)));
