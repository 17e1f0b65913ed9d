{
  "variables": {
    # Pin glibc symbols to old versions (native/platform/glibc_compat.cc), so the addon loads
    # on old glibc (both prebuilds need 2.27). On for Linux with glibc, on x86-64 and arm64
    # (the architectures the pins are written for); musl has no symbol versions to pin.
    "tg_glibc_compat%": "<!(node -p \"process.platform === 'linux' && !!process.report.getReport().header.glibcVersionRuntime ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "tensorgrad",
      "sources": ["<!@(node scripts/native-sources.cjs core binding)"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": ["NAPI_EXPERIMENTAL", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++14", "-std=gnu++1y"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-fvisibility=hidden"],
      "conditions": [
        ["OS=='linux'", {
          # One binary for every user's Linux: the C++ runtime inside it (no GLIBCXX_
          # versions to match), only the Node-API entry points exported.
          "ldflags": [
            "-static-libstdc++",
            "-static-libgcc",
            "-Wl,--version-script=<(module_root_dir)/native/platform/exports.map"
          ]
        }],
        ["OS=='linux' and tg_glibc_compat==1 and target_arch in ('x64', 'arm64')", {
          "sources": ["native/platform/glibc_compat.cc"],
          "ldflags": [
            # The pinned pthread functions live in libpthread.so.0 before glibc 2.34.
            "-Wl,--no-as-needed,-l:libpthread.so.0,--as-needed",
            "-Wl,--wrap=pthread_create,--wrap=pthread_join,--wrap=pthread_detach,--wrap=pthread_once",
            "-Wl,--wrap=pthread_key_create,--wrap=__pthread_key_create,--wrap=pthread_key_delete",
            "-Wl,--wrap=pthread_getspecific,--wrap=pthread_setspecific,--wrap=pthread_mutex_trylock",
            "-Wl,--wrap=exp,--wrap=log,--wrap=pow,--wrap=arc4random,--wrap=_dl_find_object"
          ]
        }]
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0",
        "GCC_OPTIMIZATION_LEVEL": "3"
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] }
      }
    }
  ]
}
