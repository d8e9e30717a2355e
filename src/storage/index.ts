export { describeStorage, parseStorage, type StorageInput, type StorageLocation } from './location.ts';
export {
  type AzureSettings,
  azureSettingsFromEnv,
  azureSettingsProblems,
  type ObjectStore,
  openObjectStore,
  type ReadTarget,
  type S3Settings,
  type StoredObject,
  type StoreSettings,
  s3SettingsFromEnv,
  storeSettingsFromEnv,
} from './object-store.ts';
export { storageErrorMessage, storeAnswered } from './storage-error.ts';
export { type ObjectVersion, versionIdentity } from './version.ts';
export { type FolderWatcher, SETTLE_MS, watchFolder } from './watch-folder.ts';
