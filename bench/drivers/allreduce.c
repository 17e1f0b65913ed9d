/* Open MPI's own all-reduce, for bench/ddp.mjs to compare tensorgrad's with: for each buffer
 * size (float32, in place, MPI_SUM), the median time of MPI_Allreduce (blocking, Open MPI's
 * tuned algorithm choice) and of MPI_Iallreduce polled with MPI_Test (what tensorgrad's
 * communication thread runs). Rank 0 prints one JSON line per size:
 *   C {"bytes": 4096, "blockingUs": 12.3, "nonblockingUs": 15.6}
 * Build: mpicc -O2 -o build-bench/allreduce bench/drivers/allreduce.c */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double median(double* v, int n) {
  qsort(v, (size_t)n, sizeof(double), compare);
  return v[n / 2];
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const long max_bytes = argc > 1 ? atol(argv[1]) : 64L << 20;
  enum { kReps = 15 };
  double blocking[kReps], nonblocking[kReps];
  float* buffer = malloc((size_t)max_bytes);
  memset(buffer, 0, (size_t)max_bytes);
  for (long bytes = 4096; bytes <= max_bytes; bytes *= 4) {
    const int count = (int)(bytes / 4);
    const int reps = bytes >= (16L << 20) ? 5 : kReps;
    for (int r = -1; r < reps; r++) {  /* r = -1: warm-up */
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = MPI_Wtime();
      MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      if (r >= 0) blocking[r] = MPI_Wtime() - t0;
      MPI_Barrier(MPI_COMM_WORLD);
      t0 = MPI_Wtime();
      MPI_Request request;
      int done = 0;
      MPI_Iallreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &request);
      while (!done) MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (r >= 0) nonblocking[r] = MPI_Wtime() - t0;
    }
    if (rank == 0) {
      printf("C {\"bytes\": %ld, \"blockingUs\": %.2f, \"nonblockingUs\": %.2f}\n", bytes, median(blocking, reps) * 1e6,
             median(nonblocking, reps) * 1e6);
      fflush(stdout);
    }
  }
  free(buffer);
  MPI_Finalize();
  return 0;
}
