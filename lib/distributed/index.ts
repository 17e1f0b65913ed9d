/**
 * distributed (torch.distributed): data-parallel training across processes and machines, on
 * MPI. `import { distributed } from 'tensorgrad'`; launch with `mpirun -np N node train.mjs`.
 * The MPI addon is optional and separate (`npx tensorgrad build-mpi`); the rest of tensorgrad never
 * needs it.
 */
export {
  commStats,
  destroyProcessGroup,
  getBackend,
  getRank,
  getWorldSize,
  groupInfo,
  initProcessGroup,
  type InitProcessGroupOptions,
  isInitialized,
} from './process_group.js';
export { allGather, allReduce, type AllReduceOptions, barrier, broadcast, type CollectiveOptions, type ReduceOp, Work } from './collectives.js';
export { BUILD_MPI, INSTALL_MPI, mpiAddonPath } from './mpi_addon.js';
