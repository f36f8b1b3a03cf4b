export { GalleyEnv, GALLEY_DEFAULT_PORT } from './env.js';
export type { GalleyConfig } from './env.js';
export { startGalley } from './galley.js';
export type { Galley, GalleyOptions } from './galley.js';
export { parseYamlDocuments } from './yaml-documents.js';
export type { YamlDocument } from './yaml-documents.js';
export { planApply, planDelete } from './change-plan.js';
export type { ApplyItem, ChangePlan, DeleteItem, PlannedChange } from './change-plan.js';
