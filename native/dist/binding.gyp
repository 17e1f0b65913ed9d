{
  # The optional MPI addon (DESIGN.md: native/dist/), never part of the main addon or the
  # prebuilds. Built by `npx tensorgrad build-mpi` (lib/native_build.ts), which copies native/dist/
  # and runtime/external_op.h to build-mpi/src/, runs node-gyp there, and copies the result
  # to build-mpi/Release/tensorgrad_mpi.node; ".." below is native/ (its copy there). MPI's
  # flags come from the wrapper compiler, so any MPI whose mpicc answers --showme builds it.
  "variables": {
    # 1: AddressSanitizer + UndefinedBehaviorSanitizer (npx tensorgrad build-mpi --sanitize,
    # for scripts/sanitized-js-tests.mjs).
    "tg_sanitize%": 0
  },
  "targets": [
    {
      "target_name": "tensorgrad_mpi",
      "sources": ["addon.cc", "comm.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        ".."
      ],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "OMPI_SKIP_MPICXX=1", "MPICH_SKIP_MPICXX=1"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++14", "-std=gnu++1y"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-fvisibility=hidden", "-Wall", "-Wextra", "<!@(mpicc --showme:compile)"],
      "libraries": ["<!@(mpicc --showme:link)"],
      "ldflags": ["-Wl,-rpath,<!(mpicc --showme:libdirs | cut -d' ' -f1)"],
      "conditions": [
        ["tg_sanitize==1", {
          "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g"],
          "ldflags": ["-fsanitize=address,undefined"]
        }]
      ]
    }
  ]
}
