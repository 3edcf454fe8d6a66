export {
  createRegistryScanTask,
  runRegistryScan,
  selectRegistries,
  toPinnedInput,
  type RegistryScanRequest,
} from './run.js';
export { openScanStores, type ScanStores } from './stores.js';
