// esbuild plugin for the Lambda bundles (serverless.yml custom.esbuild.plugins, bench/request-path.ts):
// three Node built-in imports inside dependencies cost the request function's cold init time for code that
// the functions never run. Each is replaced by a small module that gives the same bindings and loads the
// real built-in only when first used. Names a shim does not provide fail the build, never a request.
'use strict';

/** `import { env } from 'node:process'` builds Node's ES-module facade of `process`, which reads every
 * property, including the lazy `stdin`/`stdout` getters that open streams (~8 ms). The global is the same
 * object, so the names the SDK uses are read from it directly. */
const processShim = `const p = globalThis.process;
export default p;
export const env = p.env;
export const versions = p.versions;
export const version = p.version;
export const platform = p.platform;
export const arch = p.arch;
export const argv = p.argv;
export const emitWarning = (...a) => p.emitWarning(...a);
export const cwd = () => p.cwd();
export const nextTick = (...a) => p.nextTick(...a);
export const hrtime = p.hrtime;`;

/** @middy/core imports ReadableStream only for an \`instanceof\` check in streamed responses, which the
 * functions do not use; loading node:stream/web (and the web-stream compression it brings) costs ~5 ms. */
const streamWebShim = `export class ReadableStream {
  static [Symbol.hasInstance](value) {
    return value instanceof globalThis.ReadableStream;
  }
}`;

/** @smithy/core's Crc32Node checks \`zlib.crc32\` at load time; only event-stream decoding uses it, yet it
 * shares a chunk with the SHA-256 hashes every request signs with, so zlib (~5 ms) loaded at init. */
const zlibCrc32Shim = `import { createRequire } from 'node:module';
const load = () => createRequire(import.meta.url)('node:zlib');
let zlib;
export function crc32(data, value) {
  zlib ??= load();
  return zlib.crc32(data, value);
}`;

const rules = [
  { filter: /^(node:)?process$/, importer: /[\\/]node_modules[\\/]/, name: 'process', contents: processShim },
  {
    filter: /^node:stream\/web$/,
    importer: /[\\/]@middy[\\/]core[\\/]/,
    name: 'middy-stream-web',
    contents: streamWebShim,
  },
  {
    filter: /^node:zlib$/,
    importer: /[\\/]checksum[\\/]crc32[\\/]Crc32Node\.js$/,
    name: 'crc32-zlib',
    contents: zlibCrc32Shim,
  },
];

/** The plugin; `rules` is exported for the test that checks each shim still matches what it replaces. */
const lazyBuiltins = {
  name: 'osusume-lazy-builtins',
  setup(build) {
    for (const rule of rules) {
      build.onResolve({ filter: rule.filter }, (args) =>
        rule.importer.test(args.importer)
          ? { path: rule.name, namespace: 'osusume-lazy-builtin' }
          : undefined,
      );
    }
    build.onLoad({ filter: /.*/, namespace: 'osusume-lazy-builtin' }, (args) => ({
      contents: rules.find((r) => r.name === args.path).contents,
      loader: 'js',
    }));
  },
};

module.exports = [lazyBuiltins];
module.exports.rules = rules;
