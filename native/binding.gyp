{
  # The optional native proof-of-work kernel (scripts/build-native.mjs runs node-gyp here; kept out of
  # the repository root, where npm would add a `node-gyp rebuild` install script that fails the install).
  "targets": [
    {
      "target_name": "blockforge_native",
      "sources": ["src/blockforge_native.c"],
      # The SHA instructions are enabled per function (target attributes): no -march here, so the
      # binary runs on any CPU of its architecture and asks the CPU at load time.
      "cflags": ["-O3", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "cflags!": ["-O2"],
      "xcode_settings": {
        "GCC_OPTIMIZATION_LEVEL": "3",
        "OTHER_CFLAGS": ["-Wall", "-Wextra", "-fvisibility=hidden"]
      }
    }
  ]
}
