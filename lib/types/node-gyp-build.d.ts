declare module 'node-gyp-build' {
  /** Loads the addon for this platform from dir/prebuilds, then dir/build/Release. */
  function nodeGypBuild(dir: string): unknown;
  export default nodeGypBuild;
}
